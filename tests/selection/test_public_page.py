"""The public page of a round: the policy in plain English, the seed's fingerprint before
the draw, and afterwards the seed with commands that really check a lottery number."""

import html
import re
import shutil
import subprocess

import pytest

from microintern.selection import domain, engine

pytestmark = pytest.mark.django_db


def test_fingerprint_before_and_seed_after_publishing(build_round, client):
    selection_round, mis, students, staff = build_round(capacities=(1,), interests=[(0,)] * 3)
    page = client.get(f"/selection/{selection_round.pk}/").content.decode()
    assert selection_round.seed_commitment in page
    assert selection_round.seed not in page
    assert "Students with this: never taken part in a micro-internship" in page
    assert "ethnicity, disability, health, religion or sexual orientation is never used" in page
    run = domain.dry_run(selection_round, actor=staff)
    domain.publish(selection_round, dry_run_id=run.pk, actor=staff)
    page = html.unescape(client.get(f"/selection/{selection_round.pk}/").content.decode())
    assert selection_round.seed in page
    commands = re.search(r"<pre[^>]*>(.*?)</pre>", page, re.S).group(1).splitlines()
    if not shutil.which("openssl"):
        pytest.skip("openssl is not installed")
    number = students[0].student_number

    def run_shell(command):
        out = subprocess.run(["sh", "-c", command], capture_output=True, text=True, check=True)
        return out.stdout.strip().split()[-1]

    assert run_shell(commands[0]) == selection_round.seed_commitment
    assert run_shell(commands[1].replace("S1234567", number)) == engine.lottery_number(
        selection_round.seed, number
    )
