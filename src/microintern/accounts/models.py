"""People: a User signs in (by email); a Student holds the student-record facts."""

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower, Upper
from django.utils import timezone

from .enums import FeeStatus, Role, StudyLevel, StudyMode


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email, password=None, **fields):
        if not email:
            raise ValueError("Every user needs an email address.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **fields):
        fields.update(is_staff=True, is_superuser=True, role=Role.ADMINISTRATOR)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """Anyone who signs in. Email is the login; students and hosts never need a password."""

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=200, blank=True)
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.STUDENT)
    role_from_provider = models.CharField(
        max_length=100,
        blank=True,
        help_text="The single sign-on provider whose groups gave the role (blank: set here).",
    )
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(
        default=False, help_text="May use the Django admin (administrators only)."
    )
    date_joined = models.DateTimeField(default=timezone.now)
    language = models.CharField(
        max_length=10,
        blank=True,
        help_text="The language the person chose for pages and emails (blank: not chosen, "
        "English).",
    )

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="user_role_known"
            ),
        ]
        # Addresses are looked up whatever their case (`email__iexact`): sign-in, a new
        # student's sign-in; without it each look-up reads every user.
        indexes = [models.Index(Upper("email"), name="user_email_any_case")]

    def __str__(self) -> str:
        return self.full_name or self.email

    @property
    def needs_mfa(self) -> bool:
        """Staff-side roles, and anyone who may use the Django admin, sign in with a
        password and must also pass a second factor in every session."""
        return self.role in Role.signing_in_with_password() or self.is_staff or self.is_superuser

    def has_role(self, *roles: Role) -> bool:
        return self.is_authenticated and self.role in roles


WP_QUINTILES = ("imd_quintile", "polar4_quintile", "tundra_quintile")
WP_FLAGS = ("care_experienced", "first_in_family", "carer", "commuter")
WP_FIELDS = (*WP_QUINTILES, *WP_FLAGS)
"""The widening-participation fields, in the order the student-record extract lists them."""


def quintile_range_constraints(prefix: str) -> list[models.CheckConstraint]:
    """Each quintile is empty or 1–5; constraints named `<prefix>_<field>_range`."""
    return [
        models.CheckConstraint(
            condition=models.Q(**{f"{f}__isnull": True})
            | models.Q(**{f"{f}__gte": 1, f"{f}__lte": 5}),
            name=f"{prefix}_{f}_range",
        )
        for f in WP_QUINTILES
    ]


class WideningParticipation(models.Model):
    """Widening-participation fields from the student record (not special-category data);
    empty until imported. Add `quintile_range_constraints` to the concrete model's Meta."""

    imd_quintile = models.PositiveSmallIntegerField(null=True, blank=True)
    polar4_quintile = models.PositiveSmallIntegerField(null=True, blank=True)
    tundra_quintile = models.PositiveSmallIntegerField(null=True, blank=True)
    care_experienced = models.BooleanField(null=True, blank=True)
    first_in_family = models.BooleanField(null=True, blank=True)
    carer = models.BooleanField(null=True, blank=True)
    commuter = models.BooleanField(null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def has_widening_participation_flag(self) -> bool:
        """Any non-special-category WP flag from the student record."""
        return bool(
            (self.imd_quintile and self.imd_quintile <= 2)
            or self.polar4_quintile == 1
            or self.tundra_quintile == 1
            or self.care_experienced
            or self.first_in_family
            or self.carer
            or self.commuter
        )


class Student(WideningParticipation):
    """A student as the university knows them. WP flags are filled by the record import."""

    user = models.OneToOneField(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="student"
    )
    student_number = models.CharField(max_length=20, unique=True)
    email = models.EmailField("university email", unique=True)
    full_name = models.CharField(max_length=200)
    preferred_name = models.CharField(max_length=100, blank=True)
    programme = models.CharField(max_length=200, blank=True)
    school = models.CharField(max_length=200, blank=True)
    level = models.CharField(max_length=20, choices=StudyLevel.choices, blank=True)
    year_of_study = models.PositiveSmallIntegerField(null=True, blank=True)
    mode = models.CharField(max_length=20, choices=StudyMode.choices, blank=True)
    fee_status = models.CharField(max_length=20, choices=FeeStatus.choices, blank=True)
    record_imported_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["full_name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(year_of_study__isnull=True)
                | models.Q(year_of_study__gte=1, year_of_study__lte=8),
                name="student_year_of_study_range",
            ),
            *quintile_range_constraints("student"),
            models.CheckConstraint(
                condition=models.Q(email=Lower("email")),
                name="student_email_lower_case",
                violation_error_message="A student's email address is stored in lower case.",
            ),
        ]
        # Student numbers are compared whatever their case (the interest form, imports):
        # without it each look-up reads every student.
        indexes = [models.Index(Upper("student_number"), name="student_number_any_case")]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.student_number})"

    @property
    def display_name(self) -> str:
        return self.preferred_name or self.full_name.split(" ")[0]


class IdentityProviderGroupRole(models.Model):
    """An administrator's rule: people in `group` at the identity provider `provider_id`
    sign in with `role` (a staff-side role). A group with no rule gives no role."""

    provider_id = models.CharField(max_length=100)
    group = models.CharField(max_length=300, help_text="The group's value in the provider's claim.")
    role = models.CharField(max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["provider_id", "group"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider_id", "group"],
                name="idp_group_role_one_rule_per_group",
                violation_error_message="This group already has a role.",
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=sorted(Role.signing_in_with_password())),
                name="idp_group_role_staff_side",
                violation_error_message="A group can give only a staff-side role.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider_id}: {self.group} → {self.get_role_display()}"
