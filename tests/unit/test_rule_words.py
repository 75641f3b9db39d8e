"""Every refusal the write path can answer with has Chinese words on the desk's 被拒提交 page."""

from __future__ import annotations

import re
from pathlib import Path

from api.rule_words import PROBLEM_ZH, RULE_ZH, problem_zh, rule_zh
from domain.model import errors
from domain.model.rules import RULES

DOMAIN = Path(__file__).resolve().parents[2] / "domain"
#: A rule id as the domain raises it: RuleViolation("id", …), NotAuthorized("id", …),
#: RuleBroken("id", …), the id possibly on the next line.
RAISED = re.compile(r'(?:RuleViolation|NotAuthorized|RuleBroken)\(\s*"([a-z0-9]+(?:-[a-z0-9]+)+)"')


def raised_rule_ids() -> set[str]:
    text = "".join(p.read_text(encoding="utf-8") for p in DOMAIN.rglob("*.py"))
    return set(RAISED.findall(text))


def problem_types() -> set[str]:
    found, todo = set(), [errors.Rejected]
    while todo:
        cls = todo.pop()
        found.add(cls.slug)
        todo.extend(cls.__subclasses__())
    return found


def test_the_scan_finds_the_rules_of_every_layer() -> None:
    ids = raised_rule_ids()
    assert "maintenance-without-active-contract" in ids  # a lifecycle rule
    assert {"role-required", "licence-required", "key-malformed"} <= ids  # the signer's


def test_every_documented_rule_id_has_a_chinese_title() -> None:
    assert not set(RULES) - set(RULE_ZH), f"no Chinese for {sorted(set(RULES) - set(RULE_ZH))}"


def test_every_rule_id_the_domain_raises_has_a_chinese_title() -> None:
    missing = raised_rule_ids() - set(RULE_ZH)
    assert not missing, f"no Chinese for {sorted(missing)}"


def test_no_title_for_a_rule_nobody_raises() -> None:
    assert not set(RULE_ZH) - raised_rule_ids() - set(RULES)


def test_every_problem_type_has_words() -> None:
    assert not problem_types() - set(PROBLEM_ZH), sorted(problem_types() - set(PROBLEM_ZH))


def test_the_words_the_reviewer_asked_for() -> None:
    assert problem_zh("rule-violation") == "违反业务规则"
    assert problem_zh("not-authorized") == "无权提交此类记录"
    assert problem_zh("invalid-statement") == "记录格式或内容不合规"
    assert problem_zh("stale-prev") == "链头已变化（prev 不是最新版本）"
    assert rule_zh("maintenance-without-active-contract") == "维保当天没有在有效期内的维保合同"


def test_an_unknown_id_says_it_has_no_chinese_yet() -> None:
    assert rule_zh("some-new-rule") == "规则 some-new-rule（暂无中文说明）"
    assert "some-type" in problem_zh("some-type")
