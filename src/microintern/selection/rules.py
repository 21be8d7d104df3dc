"""Who may run selection: Business Clinic staff and administrators. The public policy page
(with the seed commitment, and the seed once published) is open to everyone."""

import rules

from microintern.accounts.rules import is_clinic_staff

rules.add_perm("selection.run_rounds", is_clinic_staff)
