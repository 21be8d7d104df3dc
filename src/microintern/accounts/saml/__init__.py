"""allauth's SAML 2.0 provider, keeping what the sign-in's authentication context was
(AuthnContextClassRef), which the staff second-factor policy reads."""
