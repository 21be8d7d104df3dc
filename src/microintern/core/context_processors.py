from django.conf import settings


def site(request):
    """Site name for every template."""
    return {"site_name": settings.MICROINTERN["SITE_NAME"]}
