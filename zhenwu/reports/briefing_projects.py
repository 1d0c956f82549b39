"""The month's progress of projects (项目) for the briefing: which stages each project of the area
finished in the month, told as the reference story tells the 岸山路 project ("完成项目立项、初步
设计评审、概算审批、工程预算、财政审批，即将进入项目招投标程序，预计明年上半年竣工").

A project belongs to an area when it is the area's town's (or under it), or when one of its
concerns was raised in the area (a village's briefing tells the project its residents asked for).
"""

from dataclasses import dataclass

from django.db.models import Q

from zhenwu.concerns.models import PROJECT_STAGE_ORDER, Project, ProjectStage, ProjectStageKind, Status


def day_label(value):
    return f"{value.month}月{value.day}日"


def project_label(name):
    return name if name.endswith(("项目", "工程")) else f"{name}项目"


def matter(title):
    """A concern's title as the object of "反映的…问题"."""
    title = title.strip().rstrip("。")
    if title.endswith("问题"):
        return title
    if any(ch in title for ch in "，,；;？?！!"):
        return f"“{title}”问题"
    return f"{title}问题"


@dataclass
class ProjectProgress:
    project: Project
    finished: list  # stages finished in the month, in order
    done: list  # every stage finished by the month's end
    matters: list  # titles of the concerns that asked for it

    @property
    def latest(self):
        return self.finished[-1]

    @property
    def completed(self):
        return self.latest.kind == ProjectStageKind.COMPLETION

    @property
    def next_stage(self):
        index = PROJECT_STAGE_ORDER.index(ProjectStageKind(self.latest.kind))
        return ProjectStageKind(PROJECT_STAGE_ORDER[index + 1]).label if index + 1 < len(PROJECT_STAGE_ORDER) else ""

    @property
    def completion_planned(self):
        stage = next((s for s in self.project.stages.all() if s.kind == ProjectStageKind.COMPLETION), None)
        return stage.planned_end if stage and stage.planned_end and not stage.actual_end else None

    def outlook(self):
        """"即将进入招投标程序，计划2027年6月竣工" (empty once completed)."""
        parts = []
        if self.next_stage and not self.completed:
            parts.append(f"即将进入{self.next_stage}程序")
        if self.completion_planned:
            parts.append(f"计划{self.completion_planned.year}年{self.completion_planned.month}月竣工")
        return "，".join(parts)

    def sentence(self):
        """The body's sentence: what was asked, what was finished in the month, what comes next."""
        label = project_label(self.project.name)
        lead = f"针对群众反映的{'、'.join(matter(t) for t in self.matters)}，推进{label}" if self.matters \
            else f"推进{label}"
        if self.completed:
            text = f"{lead}，{day_label(self.latest.actual_end)}竣工"
            if self.project.description:
                text += f"，{self.project.description.rstrip('。')}"
            return text + "。"
        text = f"{lead}，{day_label(self.latest.actual_end)}完成{'、'.join(s.get_kind_display() for s in self.finished)}"
        if len(self.done) > len(self.finished):
            text += f"，至此已完成{'、'.join(s.get_kind_display() for s in self.done)}"
        outlook = self.outlook()
        return text + (f"，{outlook}" if outlook else "") + "。"


def projects_in(area):
    return Project.objects.filter(Q(town__path__startswith=area.path)
                                  | Q(concerns__area__path__startswith=area.path)).distinct()


def progress_in_month(scope):
    """Every project of the area that finished a stage in the month, in the order of its latest."""
    stages = (ProjectStage.objects.filter(project__in=projects_in(scope.area), actual_end__gte=scope.start,
                                          actual_end__lte=scope.end)
              .select_related("project").order_by("project_id", "order"))
    finished = {}
    for stage in stages:
        finished.setdefault(stage.project_id, []).append(stage)
    result = []
    for stages_of in finished.values():
        project = stages_of[0].project
        done = [s for s in project.stages.order_by("order") if s.actual_end and s.actual_end <= scope.end]
        matters = list(project.concerns.exclude(status=Status.DUPLICATE).order_by("received_at")
                       .values_list("title", flat=True)[:2])
        result.append(ProjectProgress(project=project, finished=stages_of, done=done, matters=matters))
    return sorted(result, key=lambda p: (p.latest.actual_end, p.project.pk))
