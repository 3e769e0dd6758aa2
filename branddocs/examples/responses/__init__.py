"""Judge what an endpoint answered, and compare documented response samples with real responses.

summary.py: one line for an error answer; sdk.py: what a reader's SDK accepts of a body (its types); sse.py: the
event-stream parser; exchange.py: one request and its response judged (exchange_problems); samples.py: samples
beside real responses; conformance.py: OpenAI's schema, opt-in.
"""
