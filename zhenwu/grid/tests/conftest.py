import pytest


@pytest.fixture
def category(db, cast):
    from zhenwu.concerns.models import Category

    return Category.objects.create(
        code="road", name="道路交通", default_department=cast.urban, response_limit_days=1, resolution_limit_days=10
    )
