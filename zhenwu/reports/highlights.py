"""本月要闻: the month's real news for the top of the briefing, chosen from the records by a written
significance rule (not by date or by the order of the records).

Candidates and their significance (higher first):

| kind               | what happened in the month                                   | score                     |
|--------------------|--------------------------------------------------------------|---------------------------|
| project_completed  | a project (项目) reached 竣工                                 | 100                       |
| project_stage      | a project finished a stage (立项 … 施工); one highlight names  | 70 + 3 × the order of the |
|                    | every stage it finished in the month                         | latest stage (立项 73 …   |
|                    |                                                              | 财政审批 85 … 施工 91)     |
| campaign           | a campaign (主题教育) launched (its 动员部署会 held, or its     | 80                        |
|                    | first day) or concluded (its last day)                       |                           |
| concern            | a concern resolved (fixed or partly fixed) that several      | 40 + 5 × people, +10 under|
|                    | residents raised: people = its reporter + the residents who  | 督办; at most 95; only     |
|                    | follow it (a duplicate's reporter follows the original)      | from 3 people             |
| activity           | an activity by the people it reached: volunteers +           | 40 + 10 × log10(people),  |
|                    | participants + beneficiaries                                 | at most 75; only from 30  |
|                    |                                                              | people (30 → 55, 200 → 63,|
|                    |                                                              | 1500 → 72)                |

Ties go to the earlier event. At most MAX_HIGHLIGHTS are kept, at most PER_KIND of one kind while
candidates of other kinds remain (then the best of the rest fill the places left). A routine item
— a single resident's request, a small activity — is never news, however few others the month has.

Each highlight is a dict {"kind", "headline", "text", "score", "reason", "source": {"type", "id"},
"date"}: the headline is the lead phrase printed in bold, the text the sentence after it, the
reason shown to the editor (why it was chosen). Editors may rewrite, remove or add highlights
before publication (briefing_services.edit_highlights).
"""

import math

from django.db.models import Count, Q
from django.utils import timezone

from zhenwu.activities import figures as activity_figures
from zhenwu.concerns.models import PROJECT_STAGE_ORDER, Concern, Outcome, ProjectStageKind, Status
from zhenwu.lib.numbers import approx_count
from zhenwu.study.models import Campaign, ItemKind, SessionKind

from .briefing import month_scope, span_label
from .briefing_projects import day_label, matter, progress_in_month, project_label

MAX_HIGHLIGHTS = 4
PER_KIND = 2
MIN_CONCERN_PEOPLE = 3
MIN_ACTIVITY_PEOPLE = 30


# --- projects ------------------------------------------------------------------------------------


def project_candidates(scope):
    result = []
    for progress in progress_in_month(scope):
        project, latest = progress.project, progress.latest
        label = project_label(project.name)
        source = {"type": "project", "id": project.pk}
        day = latest.actual_end
        if progress.completed:
            result.append({"kind": "project_completed", "score": 100, "date": day.isoformat(),
                           "headline": f"{label}竣工", "text": progress.sentence(), "reason": "项目竣工",
                           "source": source})
            continue
        names = "、".join(s.get_kind_display() for s in progress.finished)
        outlook = progress.outlook()
        text = f"{day_label(day)}，{label}完成{names}" + (f"，{outlook}" if outlook else "") + "。"
        if progress.matters:
            text = f"群众反映的{'、'.join(matter(t) for t in progress.matters)}有了新进展：" + text
        order = latest.order or PROJECT_STAGE_ORDER.index(ProjectStageKind(latest.kind)) + 1
        result.append({"kind": "project_stage", "score": 70 + 3 * order, "date": day.isoformat(),
                       "headline": f"{label}完成{latest.get_kind_display()}", "text": text,
                       "reason": f"项目阶段完成：{names}", "source": source})
    return result


# --- concerns ------------------------------------------------------------------------------------


def concern_candidates(scope):
    resolved = (Concern.objects.filter(scope.in_area("area"), resolved_at__gte=scope.start_at,
                                       resolved_at__lte=scope.end_at,
                                       status__in=(Status.RESOLVED, Status.CLOSED),
                                       outcome__in=(Outcome.FIXED, Outcome.PARTLY))
                .annotate(residents=Count("followers", filter=Q(followers__user__isnull=True)))
                .filter(residents__gte=MIN_CONCERN_PEOPLE - 1)
                .select_related("department"))
    result = []
    for concern in resolved:
        people = 1 + concern.residents
        score = min(90, 40 + 5 * people) + (10 if concern.is_supervised else 0)
        day = timezone.localtime(concern.resolved_at).date()
        dept = f"经{concern.department.name}办理，" if concern.department_id else ""
        answer = concern.resolution_text.strip().rstrip("。")
        text = f"{approx_count(people)}名群众反映的{matter(concern.title)}，{dept}于{day_label(day)}办结。"
        text += f"{answer}。" if answer else ""
        result.append({
            "kind": "concern", "score": min(95, score), "date": day.isoformat(),
            "headline": f"{matter(concern.title)}得到解决",
            "text": text,
            "reason": f"{people}名群众反映" + ("，督办件" if concern.is_supervised else "") + "，已办结",
            "source": {"type": "concern", "id": concern.pk, "reference": concern.reference},
        })
    return result


# --- campaigns -----------------------------------------------------------------------------------


def campaign_candidates(scope):
    """A campaign is launched on its first 动员部署会 (or, without one, on its first day) and ends on
    its last day; each is news in the month it falls in."""
    sessions = scope.sessions()
    campaigns = Campaign.objects.filter(
        Q(pk__in=sessions.exclude(campaign=None).values("campaign_id"))
        | Q(party_orgs__area__path__startswith=scope.area.path) | Q(party_orgs__area__path__in=scope.ancestors)
    ).distinct()
    result = []
    for campaign in campaigns.filter(starts_on__lte=scope.end, ends_on__gte=scope.start):
        source = {"type": "campaign", "id": campaign.pk}
        mobilisation = (sessions.filter(campaign=campaign, kind=SessionKind.MOBILISATION)
                        .order_by("starts_at").first())
        launched = timezone.localtime(mobilisation.starts_at).date() if mobilisation else campaign.starts_on
        if scope.start <= launched <= scope.end:
            items = campaign.items.aggregate(required=Count("id", filter=Q(kind=ItemKind.REQUIRED)),
                                             optional=Count("id", filter=Q(kind=ItemKind.OPTIONAL)))
            if mobilisation:
                text = f"{day_label(launched)}，召开{mobilisation.title}"
            else:
                text = f"{day_label(launched)}起，{campaign.name}在{scope.area.name}启动"
            if items["required"] or items["optional"]:
                text += f"，部署规定动作{items['required']}项、自选动作{items['optional']}项"
            ends = campaign.ends_on
            text += f"，开展时间至{ends.year}年{ends.month}月{ends.day}日。"
            result.append({"kind": "campaign", "score": 80, "date": launched.isoformat(),
                           "headline": f"{campaign.name}启动", "text": text, "reason": "主题教育启动",
                           "source": source})
        if scope.start <= campaign.ends_on <= scope.end:
            held = sessions.filter(campaign=campaign, starts_at__lte=scope.end_at).count()
            text = (f"{campaign.name}自{campaign.starts_on.month}月{campaign.starts_on.day}日开展以来，"
                    f"累计开展各类学习活动{approx_count(held)}场，于{day_label(campaign.ends_on)}结束。")
            result.append({"kind": "campaign", "score": 80, "date": campaign.ends_on.isoformat(),
                           "headline": f"{campaign.name}圆满结束", "text": text, "reason": "主题教育结束",
                           "source": source})
    return result


# --- activities ----------------------------------------------------------------------------------


def activity_candidates(scope):
    activities = (activity_figures.with_activity_figures(scope.activities())
                  .select_related("department", "party_org"))
    result = []
    for a in activities:
        served = a.beneficiaries_served
        people = a.volunteers + a.participants + served
        if people < MIN_ACTIVITY_PEOPLE:
            continue
        organiser = a.department.name if a.department_id else a.party_org.name
        if a.department_id and not organiser.startswith("镇"):
            organiser = f"镇{organiser}"
        parts = []
        if a.volunteers:
            parts.append(f"{approx_count(a.volunteers)}名志愿者参与服务")
        if a.participants:
            parts.append(f"{approx_count(a.participants)}人参加")
        if served:
            parts.append(f"惠及{approx_count(served)}名{a.beneficiary_description or '群众'}")
        text = f"{span_label(a)}，{organiser}开展{a.title}，{'，'.join(parts)}。"
        if served >= a.volunteers + a.participants:
            headline = f"{a.title}惠及{approx_count(served)}名{a.beneficiary_description or '群众'}"
        elif a.volunteers >= a.participants:
            headline = f"{approx_count(a.volunteers)}名志愿者参与{a.title}"
        else:
            headline = f"{a.title}{approx_count(a.participants)}人参加"
        day = timezone.localtime(a.starts_at).date()
        result.append({
            "kind": "activity", "score": min(75, round(40 + 10 * math.log10(people))), "date": day.isoformat(),
            "headline": headline, "text": text,
            "reason": f"活动覆盖{people}人（志愿者{a.volunteers}、参加{a.participants}、受益{served}）",
            "source": {"type": "activity", "id": a.pk},
        })
    return result


CANDIDATES = (project_candidates, campaign_candidates, concern_candidates, activity_candidates)


def rank(candidates, *, limit=MAX_HIGHLIGHTS, per_kind=PER_KIND):
    """The chosen highlights in order of significance (see the module's table)."""
    ordered = sorted(candidates, key=lambda c: (-c["score"], c["date"], c["kind"], c["source"].get("id", 0)))
    chosen, per = [], {}
    for c in ordered:
        if len(chosen) == limit:
            break
        if per.get(c["kind"], 0) >= per_kind:
            continue
        chosen.append(c)
        per[c["kind"]] = per.get(c["kind"], 0) + 1
    for c in ordered:  # places left: the best of the rest, whatever their kind
        if len(chosen) == limit:
            break
        if c not in chosen:
            chosen.append(c)
    return sorted(chosen, key=lambda c: (-c["score"], c["date"]))


def choose_highlights(area, year, month, *, limit=MAX_HIGHLIGHTS):
    """The highlights of `area`'s briefing for the month, most significant first."""
    scope = month_scope(area, year, month)
    candidates = []
    for find in CANDIDATES:
        candidates.extend(find(scope))
    return rank(candidates, limit=limit)
