"""Demo data for 智能分派: the town's village names in the segmentation dictionary and a first
model trained on the demo's handled concerns (with the category keywords while history is short).

Called by `load_demo` after the concerns demo (`extend_demo_town`, INSTALLED_APPS order).
Idempotent: once a model exists nothing is changed.
"""

from django.db import transaction

from zhenwu.audit.services import record_created_many
from zhenwu.org.models import Area, AreaLevel

from . import services
from .models import RouterModel, RouterWord, WordKind


def _town():
    from zhenwu.org.demo import TOWN_CODE

    return Area.objects.filter(code=TOWN_CODE).first()


def extend_demo_town():
    town = _town()
    if town is None:
        return None
    if RouterModel.objects.exists():
        return "智能分派：已有分派模型，未做修改。"
    with transaction.atomic():
        names = Area.objects.filter(
            path__startswith=town.path, level__in=(AreaLevel.VILLAGE, AreaLevel.COMMUNITY)
        ).values_list("name", flat=True)
        existing = set(RouterWord.objects.values_list("word", flat=True))
        words = [RouterWord(word=name, kind=WordKind.PLACE) for name in names if name not in existing]
        words = RouterWord.objects.bulk_create(words)
        record_created_many(words, note="演示：村名加入分词词典")
    try:
        result = services.train_router()
    except services.RoutingError as exc:
        return f"智能分派：未训练模型（{exc.message}）"
    return (
        f"智能分派：词典加入村名{len(words)}个；分派模型v{result.model.version}"
        f"（{result.model.get_source_display()}，{result.model.trained_on}条）{result.message}"
    )
