"""The monthly briefing (简报) of an area, written from the records in the manner of the reference
story: 学习动员 (study and mobilisation), 创新形式 (innovative forms: featured lessons, 民情茶室,
visits, role models), 结合中心工作 (activities, volunteers, beneficiaries, contests) and 民情办理
(concerns received and resolved, the three rates).

Every figure is counted by the domain's counting functions (zhenwu/<app>/figures.py; the rules and
where each figure is shown are in docs/figures.md) and written by zhenwu.lib.numbers: counts under
100 exactly ("特色党课专场8次", "34名党群志愿者"), larger ones rounded down to the ten with 余
("210余名老人", "190余件"); hours with one decimal ("11.5小时"). A sentence is written only when its
records exist; a section without sentences is left out.

Each builder tags what it writes with the topic it reports (`_Paragraphs.topic`); the sections are
then assembled by topic (SECTIONS) and each is titled by what it actually contains (`heading(topics)`),
so a heading never promises what the paragraphs under it do not say: "学习动员部署抓快抓早" only over
a 动员部署会, "送学上门" only over home lessons.

`build_sections(area, year, month)` returns a list of sections, each a dict
{"key", "heading", "paragraphs": [str], "photos": [{"name": storage name, "caption"}]}; `to_text`
turns them into the editable text (one "# " heading line per section, one paragraph per line).
The highlights at the top (本月要闻) are chosen in reports/highlights.py.
"""

import datetime

from django.db.models import Count, Q
from django.utils import timezone

from zhenwu.activities import figures as activity_figures
from zhenwu.activities.models import (
    ActivityKind,
    ActivityPhoto,
    AwardLevel,
    Entry,
    RoleModel,
)
from zhenwu.concerns import figures as concern_figures
from zhenwu.concerns.rates import concern_rates
from zhenwu.grid import figures as grid_figures
from zhenwu.lib.numbers import approx_count, hours_text
from zhenwu.study import figures as study_figures
from zhenwu.study.models import SessionKind, VenueKind
from zhenwu.workdays import calendar as workdays

from . import briefing_photos, briefing_projects

MAX_PHOTOS = 6


def _local_date(dt):
    return timezone.localtime(dt).date()


def day_label(value):
    if isinstance(value, datetime.datetime):
        value = _local_date(value)
    return f"{value.month}月{value.day}日"


def span_label(activity):
    start = _local_date(activity.starts_at)
    end = _local_date(activity.ends_at) if activity.ends_at else start
    if end == start:
        return f"{start.month}月{start.day}日"
    if end.month == start.month:
        return f"{start.month}月{start.day}日至{end.day}日"
    return f"{start.month}月{start.day}日至{end.month}月{end.day}日"


def month_bounds(year, month):
    first = datetime.date(year, month, 1)
    nxt = datetime.date(year + (month == 12), month % 12 + 1, 1)
    return first, nxt - datetime.timedelta(days=1)


def briefing_title(area, year, month):
    return f"{area.name}{year}年{month}月工作简报"


class _Paragraphs(list):
    """A section's paragraphs, each tagged with the topic it reports (set `topic` before writing)."""

    def __init__(self):
        super().__init__()
        self.topic = None
        self.topics = []

    def append(self, text):
        super().append(text)
        self.topics.append(self.topic)

    def extend(self, texts):
        for text in texts:
            self.append(text)


class _Scope:
    """The area and month a briefing covers, with the record filters that follow from them."""

    def __init__(self, area, year, month):
        self.area = area
        self.start, self.end = month_bounds(year, month)
        self.start_at = workdays.start_of_day(self.start)
        self.end_at = workdays.end_of_day(self.end)
        self.ancestors = [area.path[:i] for i in range(area.steplen, len(area.path), area.steplen)]

    @property
    def period(self):
        """The keyword arguments of the counting functions for this area and month."""
        return {"area": self.area, "start": self.start, "end": self.end}

    def in_area(self, field):
        return Q(**{f"{field}__path__startswith": self.area.path})

    def sessions(self):
        """The sessions the area counts, at any time (zhenwu.study.figures.counted_sessions)."""
        return study_figures.counted_sessions(area=self.area)

    def month_sessions(self):
        """The sessions the area counts in the month."""
        return study_figures.counted_sessions(**self.period)

    def activities(self):
        """The activities counted in the month: placed in the area and ending in the month."""
        return activity_figures.counted_activities(**self.period)

    def contests(self):
        """The contests counted in the month: placed in the area, awarded (or, before any award,
        held) in the month."""
        return activity_figures.counted_contests(**self.period)


# --- section 1: 学习动员 --------------------------------------------------------------------------


def month_scope(area, year, month):
    """The records of `area` in the month, as the briefing counts them (used by the highlights)."""
    return _Scope(area, year, month)


def _study_section(s):
    paragraphs = _Paragraphs()
    sessions = s.month_sessions()
    total = sessions.count()
    paragraphs.topic = "overview"
    if total:
        present = study_figures.attendance_count(**s.period)
        campaign = sessions.exclude(campaign=None).values_list("campaign__name", flat=True).first()
        lead = f"围绕{campaign}，" if campaign else ""
        paragraphs.append(f"{lead}本月开展集中学习、主题党日、特色党课等学习活动{approx_count(total)}场，"
                          f"党员参学{approx_count(present)}人次。")
    mobilisations = list(sessions.filter(kind=SessionKind.MOBILISATION).order_by("starts_at"))
    paragraphs.topic = "mobilisation"
    for session in mobilisations:
        paragraphs.append(f"{day_label(session.starts_at)}，召开{session.title}，{session.topic}。"
                          if session.topic else f"{day_label(session.starts_at)}，召开{session.title}。")
    paragraphs.topic = "class"
    for session in sessions.filter(kind=SessionKind.STUDY_CLASS).order_by("starts_at"):
        came = study_figures.session_attendance(session, area=s.area).count()
        sentence = f"{day_label(session.starts_at)}，举办{session.title}，{approx_count(came)}名党员参加"
        sentence += f"，{session.summary.rstrip('。')}。" if session.summary else "。"
        paragraphs.append(sentence)
    lesson_count = study_figures.home_lesson_count(**s.period)
    one_to_one, one_to_many = study_figures.pair_counts(**s.period)
    # One paragraph tells both; its topic names what it tells, so the heading can name both.
    paragraphs.topic = "+".join(t for t, n in (("home", lesson_count), ("pairs", one_to_one + one_to_many)) if n)
    if lesson_count or one_to_one or one_to_many:
        sentence = "针对农村老弱病残等特殊党员集中难、组织难、学习难的问题，"
        parts = []
        if lesson_count:
            parts.append(f"开展“一个人的党课”送学上门{approx_count(lesson_count)}次")
        if one_to_one or one_to_many:
            pairs = []
            if one_to_one:
                pairs.append(f"“1+1”帮学结对{approx_count(one_to_one)}对")
            if one_to_many:
                pairs.append(f"“1+N”帮学结对{approx_count(one_to_many)}组")
            parts.append("、".join(pairs))
        paragraphs.append(sentence + "，".join(parts) + "，确保党的思想教育“不落一人”。")
    return paragraphs


# --- section 2: 创新形式 --------------------------------------------------------------------------

FORM_LABELS = [
    # (test on a featured session, the form's name)
    (lambda x: x.venue_kind == VenueKind.TEA_ROOM or "民情茶室" in x.title, "“民情茶室”"),
    (lambda x: "您说我做" in x.title, "“您说我做民情收集”"),
    (lambda x: x.kind == SessionKind.STORY_MEETING, "“初心故事会”"),
    (lambda x: x.kind == SessionKind.GRASSROOTS_TALK or "草根宣讲" in x.title, "“草根宣讲”"),
]
PLACE_LABELS = {VenueKind.CULTURAL_SQUARE: "文化广场", VenueKind.FARMYARD: "农家院落", VenueKind.TEA_ROOM: "民情茶室"}


def _forms_section(s):
    paragraphs = _Paragraphs()
    paragraphs.topic = "featured"
    featured_month = list(s.month_sessions().filter(is_featured=True))
    if featured_month:
        campaign_ids = {x.campaign_id for x in featured_month if x.campaign_id}
        to_date = list(study_figures.counted_sessions(area=s.area, end=s.end).filter(
            is_featured=True, campaign_id__in=campaign_ids))
        forms = [label for test, label in FORM_LABELS if any(test(x) for x in to_date)]
        places = [PLACE_LABELS[v] for v in PLACE_LABELS if any(x.venue_kind == v for x in featured_month)]
        sentence = "创新开设" + ("".join(forms) + "等" if forms else "")
        sentence += f"特色党课专场，本月开展{approx_count(len(featured_month))}次"
        if len(to_date) > len(featured_month):
            sentence += f"，主题教育开展以来累计开展特色党课专场{approx_count(len(to_date))}次"
        if places:
            sentence += f"，将党课带到{'、'.join(places)}"
        paragraphs.append(sentence + "，让教育培训更具鲜活性、更接地气。")
    paragraphs.topic = "tea_room"
    meeting_count = grid_figures.meeting_count(**s.period)
    if meeting_count:
        attendees = grid_figures.meeting_attendance(**s.period)
        raised = grid_figures.meeting_concern_count(**s.period)
        sentence = f"召开“民情茶室”{approx_count(meeting_count)}场，{approx_count(attendees)}名党员群众参加"
        sentence += f"，收集民意诉求{approx_count(raised)}件。" if raised else "。"
        paragraphs.append(sentence)
    paragraphs.topic = "visits"
    visit_count = grid_figures.visit_count(**s.period)
    if visit_count:
        households = grid_figures.visited_households(**s.period)
        paragraphs.append(f"深化党员联户制度，开展民情走访{approx_count(visit_count)}次，"
                          f"走访农户{approx_count(households)}户，促进民情走访常态化。")
    paragraphs.topic = "role_models"
    paragraphs.extend(_role_model_sentences(s))
    return paragraphs


ROLE_MODEL_ORDER = ["martyr", "customs", "sage", "bravery", "poverty", "other"]


def _role_model_sentences(s):
    used = RoleModel.objects.filter(sessions__in=s.month_sessions().values("pk")).distinct()
    models = sorted(used, key=lambda r: (ROLE_MODEL_ORDER.index(r.category), r.name))
    if not models:
        return []
    lessons = s.month_sessions().filter(role_models__in=models).values("pk").distinct().count()
    martyrs = [r for r in models if r.category == "martyr"]
    others = [r for r in models if r.category != "martyr"]
    parts = []
    if martyrs:
        parts.append("、".join(r.name for r in martyrs) + "等本土革命先烈事迹")
    if others:
        parts.append("、".join(f"{r.get_category_display()}{r.name}" for r in others) + "等“身边榜样”故事")
    return [f"树立典型促教育，充分挖掘{'及'.join(parts)}，开发成主题教育课堂{approx_count(lessons)}堂，"
            "引导党员树立信仰、坚定信念。"]


# --- section 3: 结合中心工作 ----------------------------------------------------------------------


def _organiser(activity):
    if activity.department_id:
        return f"镇{activity.department.name}" if not activity.department.name.startswith("镇") else \
            activity.department.name
    return activity.party_org.name


def _volunteer_label(counts):
    if counts["members"] and counts["others"]:
        return "党群志愿者"
    if counts["members"]:
        return "党员志愿者"
    return "志愿者"


def _activity_sentence(a, counts):
    date, org = span_label(a), _organiser(a)
    volunteers = counts["volunteers"]
    summary = a.summary.rstrip("。")
    if a.kind == ActivityKind.CARE_VISIT:
        sentence = f"{date}，{org}开展{a.title}"
        served = counts["beneficiaries"]
        whom = f"为{approx_count(served)}名{a.beneficiary_description or '群众'}" if served else ""
        if summary.startswith("送"):
            sentence += f"，{whom}{summary}"
        else:
            sentence += f"，{whom}送去慰问" if whom else ""
            sentence += f"，{summary}" if summary else ""
        if volunteers:
            sentence += f"，{approx_count(volunteers)}名{_volunteer_label(counts)}参与服务"
        return sentence + "。"
    if a.kind == ActivityKind.RETURN_MEETING:
        who = counts["participant_members"] or counts["participants"]
        what = summary or a.title
        if who:
            return f"{date}，{org}组织{approx_count(who)}名“返巢”流动党员开展{what}。"
        return f"{date}，{org}开展{what}。"
    if volunteers:
        sentence = f"{date}，{org}组织{approx_count(volunteers)}名{_volunteer_label(counts)}，在{a.place}开展{a.title}"
    else:
        people = counts["participants"]
        sentence = f"{date}，{org}在{a.place}开展{a.title}"
        if people:
            sentence += f"，{approx_count(people)}人参加"
    if summary:
        sentence += summary if summary.startswith("并") else f"，{summary}"
    if counts["hours"]:
        sentence += f"，累计志愿服务{hours_text(counts['hours'])}小时"
    if counts["beneficiaries"]:
        sentence += f"，惠及{approx_count(counts['beneficiaries'])}名{a.beneficiary_description or '群众'}"
    return sentence + "。"


def _contest_sentence(contest, entries, awards, activity=None):
    unit = {"essay": "篇", "speech": "名选手", "art_photo": "幅"}[contest.kind]
    what = {"essay": "征集作品", "speech": "参赛", "art_photo": "展出作品"}[contest.kind]
    org = _organiser(contest) if (contest.department_id or contest.party_org_id) else ""
    sentence = f"{org}举办{contest.title}" if "比赛" in contest.title or "展" in contest.title or "征文" in contest.title \
        else f"{org}举办{contest.title}活动"
    if activity is not None:
        sentence = f"{span_label(activity)}，{sentence}"
    if entries:
        sentence += f"，{what}{approx_count(entries)}{unit}"
    award_parts = [f"{label}{awards[level]}名" for level, label in AwardLevel.choices if awards.get(level)]
    if award_parts:
        sentence += "，评出" + "、".join(award_parts)
    summary = (activity.summary.rstrip("。") if activity is not None else "")
    return sentence + (f"，{summary}。" if summary else "。")


def activity_counts(activity):
    """The figures of one activity annotated by zhenwu.activities.figures.with_activity_figures, as
    the sentences use them."""
    return {"volunteers": activity.volunteers, "members": activity.volunteer_members,
            "others": activity.volunteers - activity.volunteer_members, "participants": activity.participants,
            "participant_members": activity.participant_members, "hours": activity.hours,
            "beneficiaries": activity.beneficiaries_served}


def _work_section(s):
    paragraphs, photos = _Paragraphs(), []
    activities = list(activity_figures.with_activity_figures(s.activities())
                      .select_related("department", "party_org").order_by("starts_at", "id"))
    stats = {a.pk: activity_counts(a) for a in activities}
    contests = list(s.contests().select_related("department", "party_org", "activity").order_by("held_on", "id"))
    contest_activities = {c.activity_id for c in contests if c.activity_id}
    for a in activities:
        if a.pk in contest_activities:
            continue  # told with its contest
        paragraphs.topic = _activity_topic(a, stats[a.pk])
        paragraphs.append(_activity_sentence(a, stats[a.pk]))
    paragraphs.topic = "culture"
    for contest in contests:
        entries = Entry.objects.filter(contest=contest)
        awards = dict(entries.exclude(award="").values_list("award").annotate(n=Count("id")))
        paragraphs.append(_contest_sentence(contest, entries.count(), awards, contest.activity))
    paragraphs.topic = "activity_total"
    if activities:
        total_volunteers = activity_figures.volunteer_turnout(**s.period)
        total_hours = activity_figures.confirmed_hours(**s.period)
        if total_volunteers:
            paragraphs.append(f"本月共开展各类活动{approx_count(len(activities))}场，参与志愿服务{approx_count(total_volunteers)}人次，"
                              f"经组织者确认的志愿服务时长{hours_text(total_hours)}小时。")
    for photo in (ActivityPhoto.objects.filter(activity__in=[a.pk for a in activities]).select_related("activity")
                  .order_by("activity__starts_at", "id")[:MAX_PHOTOS]):
        photos.append({"name": photo.file.name, "caption": photo.caption or photo.activity.title})
    return paragraphs, photos


# --- section 4: 民情办理 --------------------------------------------------------------------------


def _concerns_section(s):
    concerns = concern_figures.received_records(area=s.area)  # any time: the rates take the period
    resolved = concern_figures.resolved_records(**s.period)
    n_received, n_resolved = concern_figures.received_count(**s.period), resolved.count()
    paragraphs = _Paragraphs()
    if not n_received and not n_resolved:
        return paragraphs
    paragraphs.topic = "received"
    sentence = f"本月受理群众诉求{approx_count(n_received)}件，办结{approx_count(n_resolved)}件"
    row = concern_rates(queryset=concerns, start=s.start, end=s.end)[0] if n_received else None
    rates = []
    if row is not None:
        for label, value in (("响应率", row.response_rate), ("解决率", row.resolution_rate),
                             ("满意率", row.satisfaction_rate)):
            if value is not None:
                rates.append(f"{label}{value}%")
    if rates:
        sentence += "，" + "、".join(rates)
    paragraphs.append(sentence + "。")
    # The matters most residents raised first (the reporter and those following it), then 督办 ones.
    titles = list(resolved.annotate(people=Count("followers", filter=Q(followers__user__isnull=True)))
                  .order_by("-people", "-is_supervised", "resolved_at").values_list("title", flat=True)[:3])
    paragraphs.topic = "resolved"
    if titles:
        paragraphs.append(f"镇相关职能部门根据群众反映的{'、'.join(titles)}等问题，及时办理并回访，"
                          "做到件件有落实、事事有回音。")
    return paragraphs


ACTIVITY_TOPICS = {
    ActivityKind.VOLUNTEER: "volunteer", ActivityKind.LABOUR: "labour", ActivityKind.PATROL: "patrol",
    ActivityKind.CARE_VISIT: "care", ActivityKind.TALK: "culture", ActivityKind.EXHIBITION: "culture",
    ActivityKind.CONTEST: "culture", ActivityKind.CULTURE: "culture", ActivityKind.RETURN_MEETING: "migrant",
}


def _activity_topic(activity, counts):
    """Labour and patrols done by volunteers are 志愿服务; without volunteers they are what they are."""
    topic = ACTIVITY_TOPICS.get(activity.kind, "activity")
    if topic in ("labour", "patrol") and counts["volunteers"]:
        return "volunteer"
    return topic


STUDY_LABELS = {"mobilisation": "动员部署", "overview": "集中学习", "class": "集中学习", "home": "送学上门",
                "pairs": "帮学结对"}


def _study_heading(topics):
    """Names every kind of study the section tells, in the order told: a 动员部署会 alone (with the
    month's overview) is "学习动员部署抓快抓早"; one kind is titled by itself; several are named
    together ("集中学习、送学上门与帮学结对同步推进"), so no paragraph sits under a heading that
    leaves it out."""
    labels = []
    for topic in topics:
        for part in topic.split("+"):
            label = STUDY_LABELS[part]
            if label not in labels:
                labels.append(label)
    if "动员部署" in labels:
        labels.remove("动员部署")
        others = [x for x in labels if x != "集中学习" or "class" in topics]
        if not others:
            return "学习动员部署抓快抓早"
        labels = ["动员部署"] + others
    if len(labels) == 1:
        return {"集中学习": "集中学习扎实开展", "送学上门": "送学上门确保“不落一人”",
                "帮学结对": "帮学结对确保“不落一人”"}[labels[0]]
    return f"{'、'.join(labels[:-1])}与{labels[-1]}同步推进"


def _forms_heading(topics):
    if {"featured", "role_models"} <= set(topics):
        return "创新载体形式入脑入心"
    if "featured" in topics:
        return "特色党课专场接地气"
    return "树立典型榜样力量营氛围"


def _contact_heading(topics):
    if {"tea_room", "visits"} <= set(topics):
        return "民情茶室联户走访贴近群众"
    if "tea_room" in topics:
        return "民情茶室倾听群众心声"
    return "党员联户走访常态开展"


WORK_LABELS = {"volunteer": "志愿服务", "care": "关爱慰问", "migrant": "流动党员活动", "culture": "文化宣传",
               "labour": "义务劳动", "patrol": "巡逻宣传"}


def _work_heading(topics):
    """Named after its kinds of activity, the most frequent first: two are named, more are "等"."""
    labels = [WORK_LABELS[t] for t in topics if t in WORK_LABELS]
    if not labels:
        return "各类活动扎实开展"
    if len(labels) > 2:
        return f"{labels[0]}、{labels[1]}等活动扎实开展"
    return "与".join(labels) + "扎实开展"


def _concerns_heading(topics):
    if "resolved" in topics:
        return "民情办理落到实处"
    if "received" in topics:
        return "群众诉求及时受理"
    return "民生项目有序推进"


def _projects_paragraphs(s):
    paragraphs = _Paragraphs()
    paragraphs.topic = "projects"
    paragraphs.extend(progress.sentence() for progress in briefing_projects.progress_in_month(s))
    return paragraphs


# (key, the topics it reports, how it is titled from the topics present — most written first)
SECTIONS = [
    ("study", ("overview", "mobilisation", "class", "home", "pairs", "home+pairs"), _study_heading),
    ("forms", ("featured", "role_models"), _forms_heading),
    ("contact", ("tea_room", "visits"), _contact_heading),
    ("work", ("volunteer", "care", "migrant", "culture", "labour", "patrol", "activity", "activity_total"),
     _work_heading),
    ("concerns", ("received", "resolved", "projects"), _concerns_heading),
]


def build_sections(area, year, month, *, report=None):
    """The briefing's sections for `area` in the month, each titled by what it reports; a section
    with nothing to report is left out. `report(done, total, message)` is called after each
    builder."""
    s = _Scope(area, year, month)
    builders = [_study_section, _forms_section, _work_section, _concerns_section, _projects_paragraphs]
    written, photos = [], {}
    for index, builder in enumerate(builders, start=1):
        result = builder(s)
        paragraphs, section_photos = result if isinstance(result, tuple) else (result, [])
        written.extend(zip(paragraphs.topics, paragraphs, strict=True))
        photos[builder] = section_photos
        if report:
            report(index, len(builders), "已生成简报正文")
    photos_by_key = {"work": photos[_work_section], "concerns": briefing_photos.concern_photos(s)}
    sections = []
    for key, topics, heading in SECTIONS:
        paragraphs = [text for topic, text in written if topic in topics]
        if not paragraphs:
            continue
        present = [topic for topic, _ in written if topic in topics]
        present = sorted(set(present), key=lambda t: (-present.count(t), topics.index(t)))
        sections.append({"key": key, "heading": heading(present), "paragraphs": paragraphs,
                         "photos": photos_by_key.get(key, [])})
    return sections


def to_text(sections):
    lines = []
    for section in sections:
        lines.append(f"# {section['heading']}")
        lines.extend(section["paragraphs"])
        lines.append("")
    return "\n".join(lines).strip() + "\n" if lines else ""


def parse_text(text, sections=()):
    """The edited text back into sections: "# " lines start a section; the photos of a generated
    section follow it when its heading is kept, the rest go to the last section."""
    photos_by_heading = {s["heading"]: s.get("photos", []) for s in sections}
    result = []
    for raw in (text or "").splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            heading = line.lstrip("#").strip()
            result.append({"heading": heading, "paragraphs": [], "photos": photos_by_heading.pop(heading, [])})
        else:
            if not result:
                result.append({"heading": "", "paragraphs": [], "photos": []})
            result[-1]["paragraphs"].append(line)
    leftover = [p for photos in photos_by_heading.values() for p in photos]
    if leftover:
        if not result:
            result.append({"heading": "", "paragraphs": [], "photos": []})
        result[-1]["photos"] = result[-1]["photos"] + leftover
    return result
