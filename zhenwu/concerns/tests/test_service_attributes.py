"""Extra questions of a category (Open311 service attributes): their options are checked."""

import pytest
from django.core.exceptions import ValidationError

from zhenwu.concerns.models import ServiceAttribute


def test_list_questions_need_well_formed_unique_options(world):
    question = ServiceAttribute(
        category=world.road, code="k", datatype="singlevaluelist", description="类型", order=1
    )
    for values in ([], "abc", [{"name": "无key"}], [{"key": "a"}, {"key": "a"}]):
        question.values = values
        with pytest.raises(ValidationError):
            question.clean()
    question.values = [{"key": "a", "name": "甲"}]
    question.clean()
    text = ServiceAttribute(
        category=world.road, code="t", datatype="text", description="说明", order=2, values=[1]
    )
    with pytest.raises(ValidationError):
        text.clean()
