"""The organisation's usage report: `ivr report` and the /report page read the same figures.

suppress.py (the small-count rule) and figures.py (the tables) are pure; service.py reads the
store; formats.py, charts.py and views.py show the result; demo.py makes traffic to look at.
"""
