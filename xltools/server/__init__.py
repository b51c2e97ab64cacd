"""The finance bureau's intake (`xltools serve`): a Django application over the xltools library.

Clerks log in (or follow a per-department upload link), download a pre-filled template, upload workbooks
(each upload is a new version, checked off the request thread), see the report and submit; the bureau
reviews, confirms, and downloads the county merge. Importing this package does not import Django: the
CLI configures it through `xltools.server.config.configure(home)`.
"""
