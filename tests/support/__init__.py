"""What the tests share besides fixtures (those are in tests/conftest.py): each module one kind of helper.

project.py: the checkout, scratch copies, running `branddocs`; checks.py: `branddocs check` and its report per
example; endpoint.py: `branddocs endpoint` in a process; browser.py and readers.py: what a reader meets in a
browser; recordings.py: real servers' wire recordings; sites.py: what a built site must not have; markup.py:
hostile brand values and their HTML; brands.py: brand files; make.py: `make` as a writer runs it;
dash_language.py: a language from outside branddocs.
"""
