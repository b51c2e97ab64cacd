from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from .views import bureau, clerk, common

app_name = "intake"

intake = [
    path("", common.home, name="home"),
    path("login/", common.login_view, name="login"),
    path("logout/", common.logout_view, name="logout"),
    path("link/<str:token>/", common.link_view, name="link"),
    path("d/<str:code>/", clerk.department, name="department"),
    path("d/<str:code>/template.xlsx", clerk.template, name="template"),
    path("d/<str:code>/upload/", clerk.upload, name="upload"),
    path("d/<str:code>/submit/", clerk.submit, name="submit"),
    path("d/<str:code>/withdraw/", clerk.withdraw, name="withdraw"),
    path("d/<str:code>/review/<str:action>/", bureau.review, name="review"),
    path("v/<int:version_id>/", clerk.version, name="version"),
    path("v/<int:version_id>/report.html", clerk.report_html, name="report"),
    path("v/<int:version_id>/annotated/", clerk.annotated, name="annotated"),
    path("v/<int:version_id>/original/", clerk.original, name="original"),
    path("v/<int:version_id>/publish/", clerk.publish, name="publish"),
    path("v/<int:version_id>/publication.<str:kind>", clerk.publication_file, name="publication"),
    path("v/<int:version_id>/retry/", clerk.retry, name="retry"),
    path("v/<int:version_id>/waive/", bureau.waive, name="waive"),
    path("board/", bureau.board, name="board"),
    path("board.xlsx", bureau.board_xlsx, name="board_xlsx"),
    path("merged.xlsx", bureau.merged, name="merged"),
    path("audit/", bureau.audit_log, name="audit"),
    path("audit.xlsx", bureau.audit_xlsx, name="audit_xlsx"),
    path("accounts/", bureau.accounts, name="accounts"),
    path("accounts/save/", bureau.account_save, name="account_save"),
    path("links/new/", bureau.link_create, name="link_create"),
    path("links/<int:link_id>/revoke/", bureau.link_revoke, name="link_revoke"),
]

urlpatterns = [
    # The admin signs in through the intake's login (throttled and logged), never its own form.
    path("admin/login/", RedirectView.as_view(pattern_name="intake:login", query_string=False)),
    path("admin/", admin.site.urls),
    path("", include((intake, "intake"))),
]

handler400 = "xltools.server.views.common.bad_request"
handler403 = "xltools.server.views.common.forbidden"
handler404 = "xltools.server.views.common.not_found"
handler500 = "xltools.server.views.common.server_error"
