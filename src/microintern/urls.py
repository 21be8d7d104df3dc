from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path, re_path

from microintern.accounts import views as accounts_views
from microintern.accounts.language import choose_language
from microintern.api.dispatch import api_request
from microintern.api.urls import staff_urls as api_staff_urls
from microintern.applications.views import badges, certificates, hear, student
from microintern.applications.views import staff as application_staff
from microintern.core import views as core
from microintern.hosts.urls import host_urls
from microintern.hosts.views import host
from microintern.hosts.views import staff as host_staff
from microintern.insights.views import dashboard as insights_dashboard
from microintern.mail.inbound.urls import public_patterns as inbound_public_patterns
from microintern.mail.inbound.urls import staff_urls as inbound_staff_urls
from microintern.mail.urls import staff_urls as mail_staff_urls
from microintern.programme.urls import feed_urls as programme_feed_urls
from microintern.programme.urls import staff_urls as programme_staff_urls
from microintern.programme.views import messages as programme_messages
from microintern.programme.views import public
from microintern.programme.views import search as programme_search
from microintern.programme.views import staff as programme_staff
from microintern.programme.views import team as programme_team
from microintern.selection.urls import public_urls as selection_public_urls
from microintern.selection.urls import staff_urls as selection_staff_urls

public_patterns = (
    [
        path("", public.open_list, name="home"),
        path("micro-internships/<str:reference>/", public.detail, name="detail"),
        path("micro-internships/<str:reference>/calendar.ics", public.calendar, name="calendar"),
        path("certificates/", certificates.check_certificate, name="check_certificate"),
        path("badges/check/", badges.check_badge, name="check_badge"),
        path("badges/issuer", badges.issuer, name="badge_issuer"),
        path("badges/keys/<str:thumbprint>", badges.public_key, name="badge_key"),
        path("badges/status/<int:number>", badges.status_list, name="badge_status_list"),
        *selection_public_urls,
    ],
    "public",
)
student_patterns = (
    [
        path("", student.my_interests, name="my_interests"),
        path("interest/<str:reference>/", student.express_interest, name="express_interest"),
        path("interest/<str:reference>/sent/", student.interest_sent, name="interest_sent"),
        path("confirm/<str:token>/", student.confirm_interest, name="confirm_interest"),
        path("offer/<str:token>/", student.offer, name="offer"),
        path("places/<int:pk>/certificate.pdf", student.certificate, name="certificate"),
        path("places/<int:pk>/open-badge.jwt", badges.download_badge, name="badge"),
        path("places/<int:pk>/<str:action>/", student.reply, name="reply"),
        path("choices/<int:pk>/<str:direction>/", student.move_choice, name="move_choice"),
        path("feedback/<str:token>/", student.feedback, name="feedback"),
        path("certificate/<str:token>/", student.certificate_link, name="certificate_link"),
    ],
    "applications",
)
host_patterns = (
    [
        path("", host.home, name="home"),
        path("challenges/<int:pk>/", host_staff.challenge_detail, name="challenge"),
        *host_urls,
    ],
    "hosts",
)
staff_patterns = (
    [
        path("", programme_staff.dashboard, name="dashboard"),
        path("micro-internships/<int:pk>/", programme_staff.detail, name="micro_internship"),
        path(
            "micro-internships/<int:pk>/state/",
            programme_staff.change_state,
            name="micro_internship_state",
        ),
        path("places/<int:pk>/", application_staff.interest_detail, name="interest"),
        path("places/<int:pk>/decide/", application_staff.decide, name="decide_place"),
        path(
            "micro-internships/<int:mi_pk>/decide/",
            application_staff.decide_many,
            name="decide_places",
        ),
        path("micro-internships/<int:pk>/hear/", hear.hear_entries, name="hear_entries"),
        path("hear.csv", hear.hear_export, name="hear_export"),
        path("challenges/", host_staff.pipeline, name="pipeline"),
        path("challenges/<int:pk>/state/", host_staff.change_state, name="challenge_state"),
        path("system/", core.system, name="system"),
        path("people/", accounts_views.people, name="people"),
        path("people/<int:pk>/role/", accounts_views.set_role, name="set_role"),
        path("people/sign-on-groups/", accounts_views.sign_on_rules, name="sign_on_rules"),
        path(
            "people/sign-on-groups/<int:pk>/remove/",
            accounts_views.remove_sign_on_rule,
            name="remove_sign_on_rule",
        ),
        path("search/", programme_search.staff_search, name="search"),
        path("micro-internships/<int:pk>/team.csv", programme_team.team_csv, name="team_csv"),
        path(
            "micro-internships/<int:pk>/email/",
            programme_messages.message_people,
            name="message_people",
        ),
        *api_staff_urls,
        *mail_staff_urls,
        *inbound_staff_urls,
        *programme_staff_urls,
        *selection_staff_urls,
    ],
    "staff",
)

# The admin has no login form of its own: allauth's sign-in, with its second-factor step.
admin.site.login = secure_admin_login(admin.site.login)

urlpatterns = [
    path("", include(public_patterns)),
    path("my/", include(student_patterns)),
    path("email/", include(inbound_public_patterns)),
    path("host/", include(host_patterns)),
    path("staff/", include(staff_patterns)),
    path("insights/", insights_dashboard.dashboard, name="insights_home"),
    path("", include("microintern.insights.urls")),
    path("", include("microintern.surveys.urls")),
    path("home/", core.home_for_role, name="home_for_role"),
    path("language/", choose_language, name="set_language"),
    path("healthz", core.healthz, name="healthz"),
    # (?s): a path with a line break in it is still the API's, and answered in JSON.
    re_path(r"^api/v1/(?P<rest>(?s:.*))$", api_request, name="api"),
    *programme_feed_urls,
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
]
