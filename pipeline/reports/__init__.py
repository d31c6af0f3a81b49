"""Client reports: ``veille report WATCH --since 7d --format html|pdf --lang fr|en``.

Three steps, each its own module: :mod:`pipeline.reports.gather` reads Elasticsearch (request builders and
answer shapers are pure; one async function runs them) into a :class:`pipeline.reports.model.Report`;
:mod:`pipeline.reports.view` turns the report into the words, figures and tables of one language; the
renderers :mod:`pipeline.reports.html` (Jinja2, inline SVG charts) and :mod:`pipeline.reports.pdf`
(ReportLab) draw that view. :mod:`pipeline.reports.delivery` sends it by e-mail with an alert channel's
SMTP settings, and computes when a scheduled report is due.
"""
