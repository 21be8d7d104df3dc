from django.db import migrations, models


def remember_roles_given_by_providers(apps, schema_editor):
    """A role whose last change was a provider's groups (and still is that role) is that
    provider's to take back."""
    User = apps.get_model("accounts", "User")
    ActivityLog = apps.get_model("core", "ActivityLog")
    ContentType = apps.get_model("contenttypes", "ContentType")
    user_type = ContentType.objects.filter(app_label="accounts", model="user").first()
    if user_type is None:
        return
    changes = ActivityLog.objects.filter(
        content_type=user_type, action__in=["user.role_from_sign_on", "user.role_changed"]
    ).order_by("object_id", "-created_at", "-pk")
    seen = set()
    for change in changes.iterator():
        if change.object_id in seen:
            continue
        seen.add(change.object_id)
        data = change.data or {}
        if change.action == "user.role_from_sign_on" and data.get("provider"):
            User.objects.filter(pk=change.object_id, role=data.get("to_role")).update(
                role_from_provider=data["provider"]
            )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_identity_provider_group_role"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("core", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="role_from_provider",
            field=models.CharField(
                blank=True,
                help_text="The single sign-on provider whose groups gave the role (blank: set here).",
                max_length=100,
            ),
        ),
        migrations.RunPython(remember_roles_given_by_providers, migrations.RunPython.noop),
    ]
