from django.urls import include, path, re_path

from .views import allauth_view, single_logout

urlpatterns = [
    re_path(
        r"^saml/(?P<organization_slug>[^/]+)/",
        include(
            [
                path("acs/", allauth_view("acs", posted_by_the_provider=True), name="saml_acs"),
                path("acs/finish/", allauth_view("finish_acs"), name="saml_finish_acs"),
                path("sls/", single_logout, name="saml_sls"),
                path("metadata/", allauth_view("metadata"), name="saml_metadata"),
                path("login/", allauth_view("login"), name="saml_login"),
            ]
        ),
    )
]
