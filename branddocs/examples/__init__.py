"""The example checks: every code block, response sample and error table of the guide, per brand, proven against
an endpoint. One room per job, from the bottom up:

example.py        the Example record every room reads (a leaf)
update.py         `--update-examples`: new outputs and samples written into the templates
proxy/            the recording proxy, and the one process that holds the real key
responses/        what a reader's SDK accepts of a response; samples beside real responses
run/              running one example: its process, the sandbox, processes started ahead, the error tables' clients
languages/        one module per example language, behind the Language base class and its registry
collection/       finding examples: each brand's pages rendered, their blocks and error tables read
judge/            the verdict: static checks, features, the run, samples, error tables' rows
pytest_plugin/    the pytest plugin (options, examples shared between xdist workers, the endpoint under test) and
                  suite.py, the test `branddocs check` runs
"""
