"""Judge what an endpoint answered, and compare documented response samples with real responses.

errors.py: one line for an error answer; sdk.py: what a reader's SDK accepts (exchange_problems); sse.py: the
event-stream parser; samples.py: samples beside real responses; conformance.py: OpenAI's schema, opt-in.
"""
