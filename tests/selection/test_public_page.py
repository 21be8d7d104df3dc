"""The public page of a round: the policy in plain English, the fingerprint before the draw,
and afterwards the seed with commands that really check every number."""

import html
import re
import shutil
import subprocess

import pytest

from microintern.selection import commitment, domain, engine

pytestmark = pytest.mark.django_db


def test_fingerprint_before_and_seed_after_publishing(build_round, client):
    selection_round, mis, students, staff = build_round(capacities=(1,), interests=[(0,)] * 3)
    page = client.get(f"/selection/{selection_round.pk}/").content.decode()
    assert selection_round.commitment in page
    assert selection_round.seed_commitment in page
    assert selection_round.seed not in page
    assert "Students with this: never taken part in a micro-internship" in page
    assert "ethnicity, disability, health, religion or sexual orientation is never used" in page
    run = domain.dry_run(selection_round, actor=staff)
    domain.publish(selection_round, dry_run_id=run.pk, actor=staff)
    page = html.unescape(client.get(f"/selection/{selection_round.pk}/").content.decode())
    assert selection_round.seed in page
    commands = re.findall(r"<pre[^>]*>(.*?)</pre>", page, re.S)[1].splitlines()
    if not shutil.which("openssl"):
        pytest.skip("openssl is not installed")
    number = students[0].student_number

    def run_shell(command):
        out = subprocess.run(["sh", "-c", command], capture_output=True, text=True, check=True)
        return out.stdout.strip().split()[-1]

    seed, digest = selection_round.seed, selection_round.participants_digest
    mine = commitment.pseudonym(seed, number)
    key = commitment.draw_key(seed, digest)
    assert run_shell(commands[0]) == selection_round.seed_commitment
    assert run_shell(commands[1].replace("S1234567", number)) == mine
    assert run_shell(commands[2]) == key
    assert run_shell(commands[3].replace("YOUR-NUMBER", mine)) == engine.lottery_number(key, mine)


def test_the_fingerprint_is_the_sha256_of_the_text_the_page_shows(build_round, client):
    selection_round, *_ = build_round(capacities=(2, 3), interests=[(0, 1)], close=False)
    page = html.unescape(client.get(f"/selection/{selection_round.pk}/").content.decode())
    text = re.findall(r"<pre[^>]*>(.*?)</pre>", page, re.S)[0]
    assert commitment.sha256_hex(text.encode()) == selection_round.commitment
    assert '"seed_sha256":"' + selection_round.seed_commitment in text
    assert '"capacity":3' in text
