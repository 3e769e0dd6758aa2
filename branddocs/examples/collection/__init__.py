"""Finding examples: each brand's pages rendered as its readers get them, and every block, sample and error table
in them, with its template line.

collect.py: a brand's examples (collect_examples); marks.py: template line numbers carried through rendering;
tables.py: the error tables read; drift.py: a translation's code compared with its source's.
"""
