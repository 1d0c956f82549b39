"""The monthly briefing (简报) of an area, written from the records in the manner of the reference
story: 学习动员 (study and mobilisation), 创新形式 (innovative forms: featured lessons, 民情茶室,
visits, role models), 结合中心工作 (activities, volunteers, beneficiaries, contests) and 民情办理
(concerns received and resolved, the three rates).

Every sentence carries its figures in the official style: counts under 20 exactly ("特色党课专场6次"),
larger ones rounded down with 余 ("30余名党群志愿者", "200余名老人"). A sentence is written only
when its records exist; a section without sentences is left out.

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

from django.db.models import Count, Q, Sum
from django.utils import timezone

from zhenwu.activities.models import (
    Activity,
    ActivityKind,
    ActivityPhoto,
    AwardLevel,
    Contest,
    Entry,
    RoleModel,
)
from zhenwu.activities.models import ParticipationRole as PR
from zhenwu.concerns.models import Concern, Status
from zhenwu.concerns.rates import concern_rates
from zhenwu.lib import workdays
from zhenwu.org.models import Area, Member
from zhenwu.study.models import Attendance, HomeLesson, Mentorship, SessionKind, StudySession, VenueKind

from . import briefing_photos, briefing_projects

MAX_PHOTOS = 6


def approx(count):
    """A count as an official text gives it: exact under 20, else rounded down to its leading
    digit's place (two digits from 1000) with 余 when something was dropped: 34 → "30余",
    216 → "200余", 30 → "30", 1530 → "1500余"."""
    count = int(count)
    if count < 20:
        return str(count)
    digits = len(str(count))
    step = 10 ** (digits - 1) if digits < 4 else 10 ** (digits - 2)
    rounded = count // step * step
    return str(count) if rounded == count else f"{rounded}余"


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

    def in_area(self, field):
        return Q(**{f"{field}__path__startswith": self.area.path})

    def sessions(self):
        """Sessions of organisations in the area, or above it (a town-wide class counts for the
        village too)."""
        q = self.in_area("party_orgs__area") | Q(party_orgs__area__path__in=self.ancestors)
        return StudySession.objects.filter(pk__in=StudySession.objects.filter(q).values("pk"))

    def members(self):
        return Member.objects.filter(self.in_area("party_org__area"), is_active=True)

    def activities(self):
        """Activities placed in the area whose period overlaps the month."""
        overlap = (Q(starts_at__gte=self.start_at, starts_at__lte=self.end_at)
                   | Q(starts_at__lt=self.start_at, ends_at__gte=self.start_at))
        return Activity.objects.filter(self.in_area("area")).filter(overlap)


# --- section 1: 学习动员 --------------------------------------------------------------------------


def month_scope(area, year, month):
    """The records of `area` in the month, as the briefing counts them (used by the highlights)."""
    return _Scope(area, year, month)


def _study_section(s):
    paragraphs = _Paragraphs()
    sessions = s.sessions().filter(starts_at__gte=s.start_at, starts_at__lte=s.end_at)
    attendance = Attendance.objects.filter(session__in=sessions, member__in=s.members())
    total = sessions.count()
    paragraphs.topic = "overview"
    if total:
        present = attendance.count()
        campaign = sessions.exclude(campaign=None).values_list("campaign__name", flat=True).first()
        lead = f"围绕{campaign}，" if campaign else ""
        paragraphs.append(f"{lead}本月开展集中学习、主题党日、特色党课等学习活动{approx(total)}场，"
                          f"党员参学{approx(present)}人次。")
    mobilisations = list(sessions.filter(kind=SessionKind.MOBILISATION).order_by("starts_at"))
    paragraphs.topic = "mobilisation"
    for session in mobilisations:
        paragraphs.append(f"{day_label(session.starts_at)}，召开{session.title}，{session.topic}。"
                          if session.topic else f"{day_label(session.starts_at)}，召开{session.title}。")
    paragraphs.topic = "class"
    for session in sessions.filter(kind=SessionKind.STUDY_CLASS).order_by("starts_at"):
        came = attendance.filter(session=session).count()
        sentence = f"{day_label(session.starts_at)}，举办{session.title}，{approx(came)}名党员参加"
        sentence += f"，{session.summary.rstrip('。')}。" if session.summary else "。"
        paragraphs.append(sentence)
    lessons = HomeLesson.objects.filter(member__in=s.members(), given_on__gte=s.start, given_on__lte=s.end)
    lesson_count = lessons.count()
    mentorships = Mentorship.objects.filter(mentor__in=s.members(), started_on__lte=s.end).filter(
        Q(ended_on__isnull=True) | Q(ended_on__gte=s.start))
    pairs = mentorships.annotate(n=Count("mentees")).values_list("n", flat=True)
    paragraphs.topic = "home" if lesson_count else "pairs"
    if lesson_count or pairs:
        one_to_one = sum(1 for n in pairs if n == 1)
        one_to_many = sum(1 for n in pairs if n > 1)
        sentence = "针对农村老弱病残等特殊党员集中难、组织难、学习难的问题，"
        parts = []
        if lesson_count:
            parts.append(f"开展“一个人的党课”送学上门{approx(lesson_count)}次")
        if pairs:
            parts.append(f"“1+1”帮学结对{approx(one_to_one)}对、“1+N”帮学结对{approx(one_to_many)}组")
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
    featured_month = list(s.sessions().filter(is_featured=True, starts_at__gte=s.start_at, starts_at__lte=s.end_at))
    if featured_month:
        campaign_ids = {x.campaign_id for x in featured_month if x.campaign_id}
        to_date = list(s.sessions().filter(is_featured=True, starts_at__lte=s.end_at, campaign_id__in=campaign_ids))
        forms = [label for test, label in FORM_LABELS if any(test(x) for x in to_date)]
        places = [PLACE_LABELS[v] for v in PLACE_LABELS if any(x.venue_kind == v for x in featured_month)]
        sentence = "创新开设" + ("".join(forms) + "等" if forms else "")
        sentence += f"特色党课专场，本月开展{approx(len(featured_month))}次"
        if len(to_date) > len(featured_month):
            sentence += f"，主题教育开展以来累计开展特色党课专场{approx(len(to_date))}次"
        if places:
            sentence += f"，将党课带到{'、'.join(places)}"
        paragraphs.append(sentence + "，让教育培训更具鲜活性、更接地气。")
    try:
        from zhenwu.grid.models import Meeting, Visit
    except ImportError:  # the grid app without models
        Meeting = Visit = None
    if Meeting is not None:
        paragraphs.topic = "tea_room"
        meetings = Meeting.objects.filter(s.in_area("area"), held_on__gte=s.start, held_on__lte=s.end)
        meeting_count = meetings.count()
        if meeting_count:
            people = meetings.aggregate(m=Count("members", distinct=True), r=Count("residents", distinct=True),
                                        g=Sum("guest_count"))
            attendees = (people["m"] or 0) + (people["r"] or 0) + (people["g"] or 0)
            raised = Concern.objects.filter(meetinglinks_q(meetings)).count()
            sentence = f"召开“民情茶室”{approx(meeting_count)}场，{approx(attendees)}名党员群众参加"
            sentence += f"，收集民意诉求{approx(raised)}件。" if raised else "。"
            paragraphs.append(sentence)
        paragraphs.topic = "visits"
        visits = Visit.objects.filter(s.in_area("household__grid"), visited_on__gte=s.start, visited_on__lte=s.end)
        visit_count = visits.count()
        if visit_count:
            households = visits.values("household").distinct().count()
            paragraphs.append(f"深化党员联户制度，开展民情走访{approx(visit_count)}次，走访农户{approx(households)}户，"
                              "促进民情走访常态化。")
    paragraphs.topic = "role_models"
    paragraphs.extend(_role_model_sentences(s))
    return paragraphs


def meetinglinks_q(meetings):
    return Q(pk__in=meetings.values("concern_links__concern"))


ROLE_MODEL_ORDER = ["martyr", "customs", "sage", "bravery", "poverty", "other"]


def _role_model_sentences(s):
    used = (RoleModel.objects.filter(sessions__in=s.sessions().filter(starts_at__gte=s.start_at,
                                                                        starts_at__lte=s.end_at))
            .distinct())
    models = sorted(used, key=lambda r: (ROLE_MODEL_ORDER.index(r.category), r.name))
    if not models:
        return []
    lessons = (s.sessions().filter(starts_at__gte=s.start_at, starts_at__lte=s.end_at, role_models__in=models)
               .distinct().count())
    martyrs = [r for r in models if r.category == "martyr"]
    others = [r for r in models if r.category != "martyr"]
    parts = []
    if martyrs:
        parts.append("、".join(r.name for r in martyrs) + "等本土革命先烈事迹")
    if others:
        parts.append("、".join(f"{r.get_category_display()}{r.name}" for r in others) + "等“身边榜样”故事")
    return [f"树立典型促教育，充分挖掘{'及'.join(parts)}，开发成主题教育课堂{approx(lessons)}堂，"
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
        whom = f"为{approx(a.beneficiary_count)}名{a.beneficiary_description or '群众'}" if a.beneficiary_count else ""
        if summary.startswith("送"):
            sentence += f"，{whom}{summary}"
        else:
            sentence += f"，{whom}送去慰问" if whom else ""
            sentence += f"，{summary}" if summary else ""
        if volunteers:
            sentence += f"，{approx(volunteers)}名{_volunteer_label(counts)}参与服务"
        return sentence + "。"
    if a.kind == ActivityKind.RETURN_MEETING:
        who = counts["participant_members"] or counts["participants"]
        what = summary or a.title
        if who:
            return f"{date}，{org}组织{approx(who)}名“返巢”流动党员开展{what}。"
        return f"{date}，{org}开展{what}。"
    if volunteers:
        sentence = f"{date}，{org}组织{approx(volunteers)}名{_volunteer_label(counts)}，在{a.place}开展{a.title}"
    else:
        people = counts["participants"]
        sentence = f"{date}，{org}在{a.place}开展{a.title}"
        if people:
            sentence += f"，{approx(people)}人参加"
    if summary:
        sentence += summary if summary.startswith("并") else f"，{summary}"
    if counts["hours"]:
        sentence += f"，累计志愿服务{approx(int(counts['hours']))}小时"
    if a.beneficiary_count:
        sentence += f"，惠及{approx(a.beneficiary_count)}名{a.beneficiary_description or '群众'}"
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
        sentence += f"，{what}{approx(entries)}{unit}"
    award_parts = [f"{label}{awards[level]}名" for level, label in AwardLevel.choices if awards.get(level)]
    if award_parts:
        sentence += "，评出" + "、".join(award_parts)
    summary = (activity.summary.rstrip("。") if activity is not None else "")
    return sentence + (f"，{summary}。" if summary else "。")


def _work_section(s):
    paragraphs, photos = _Paragraphs(), []
    activities = list(s.activities().select_related("department", "party_org").order_by("starts_at", "id"))
    stats = {a.pk: {"volunteers": 0, "members": 0, "others": 0, "participants": 0, "participant_members": 0,
                    "hours": 0} for a in activities}
    rows = (Activity.objects.filter(pk__in=stats).values("pk", "participations__role")
            .annotate(n=Count("participations"), members=Count("participations__member"),
                      hours=Sum("participations__hours", filter=Q(participations__hours_confirmed_at__isnull=False))))
    for row in rows:
        st = stats[row["pk"]]
        if row["participations__role"] == PR.VOLUNTEER:
            st["volunteers"], st["members"] = row["n"], row["members"]
            st["others"] = row["n"] - row["members"]
            st["hours"] = row["hours"] or 0
        elif row["participations__role"] == PR.PARTICIPANT:
            st["participants"], st["participant_members"] = row["n"], row["members"]
    contests = list(Contest.objects.filter(s.in_area("area")).filter(
        Q(held_on__gte=s.start, held_on__lte=s.end)
        | Q(entries__awarded_at__gte=s.start_at, entries__awarded_at__lte=s.end_at)).distinct()
        .select_related("department", "party_org", "activity").order_by("held_on", "id"))
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
        total_volunteers = sum(st["volunteers"] for st in stats.values())
        total_hours = sum(st["hours"] for st in stats.values())
        if total_volunteers:
            paragraphs.append(f"本月共开展各类活动{approx(len(activities))}场，参与志愿服务{approx(total_volunteers)}人次，"
                              f"经组织者确认的志愿服务时长{approx(int(total_hours))}小时。")
    for photo in (ActivityPhoto.objects.filter(activity__in=activities).select_related("activity")
                  .order_by("activity__starts_at", "id")[:MAX_PHOTOS]):
        photos.append({"name": photo.file.name, "caption": photo.caption or photo.activity.title})
    return paragraphs, photos


# --- section 4: 民情办理 --------------------------------------------------------------------------


def _concerns_section(s):
    concerns = Concern.objects.filter(s.in_area("area"))
    received = concerns.filter(received_at__gte=s.start_at, received_at__lte=s.end_at).exclude(
        status=Status.DUPLICATE)
    resolved = concerns.filter(resolved_at__gte=s.start_at, resolved_at__lte=s.end_at,
                               status__in=(Status.RESOLVED, Status.CLOSED))
    n_received, n_resolved = received.count(), resolved.count()
    paragraphs = _Paragraphs()
    if not n_received and not n_resolved:
        return paragraphs
    paragraphs.topic = "received"
    sentence = f"本月受理群众诉求{approx(n_received)}件，办结{approx(n_resolved)}件"
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


def _study_heading(topics):
    if "mobilisation" in topics:
        return "学习动员部署抓快抓早"
    parts = [label for present, label in ((set(topics) & {"overview", "class"}, "集中学习"), ("home" in topics, "送学上门"),
                                          ("pairs" in topics, "帮学结对")) if present]
    if len(parts) > 1:
        return f"{parts[0]}与{parts[1]}同步推进"
    return {"集中学习": "集中学习扎实开展", "送学上门": "送学上门确保“不落一人”",
            "帮学结对": "帮学结对确保“不落一人”"}[parts[0]]


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
    ("study", ("overview", "mobilisation", "class", "home", "pairs"), _study_heading),
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


def briefing_areas(town):
    """The town and its villages/communities, for the briefing form."""
    return Area.objects.filter(path__startswith=town.path, level__in=("town", "village", "community")).order_by("path")
