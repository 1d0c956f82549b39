"""学习笔记: a member writes notes of a session they signed in to (我的学习, on the phone); the
secretary reads them, checks them or returns them for more, with a comment."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from zhenwu.lib.paging import paginate
from zhenwu.lib.params import int_or_none

from .. import access, services
from ..forms import NoteCheckForm, StudyNoteForm, attach_errors
from ..models import Attendance, NoteStatus, StudyNote
from .common import render_page, stored_file


@login_required
def note_edit(request, pk):
    """The member's own notes of one session (write, or revise until checked)."""
    user = request.user
    member = access.member_for(user)
    if member is None:
        raise PermissionDenied("只有党员本人可以提交学习笔记")
    session = access.get_session_for_user(user, pk)
    if not Attendance.objects.filter(session=session, member=member).exists():
        raise PermissionDenied("只能为已签到参加的学习提交笔记")
    note = StudyNote.objects.filter(session=session, member=member).first()
    form = StudyNoteForm(request.POST or None, request.FILES or None, initial={"text": note.text if note else ""})
    if request.method == "POST" and form.is_valid():
        try:
            note, created = services.submit_study_note(session, member=member, by=user, **form.cleaned_data)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, "学习笔记已提交，等待支部书记审阅" if created else "学习笔记已修改，等待支部书记审阅")
            return redirect("study:my_study")
    status = 422 if request.method == "POST" else 200
    return render(request, "study/note_form.html", {"form": form, "session": session, "note": note}, status=status)


@login_required
@require_GET
def note_list(request):
    """Notes of the members in scope, those waiting for a check first; ?status= and ?session= filter."""
    user = request.user
    access.require_study_staff(user)
    notes = access.visible_notes(user).select_related("session", "member__party_org", "checked_by")
    status = request.GET.get("status") or ""
    if status in NoteStatus.values:
        notes = notes.filter(status=status)
    else:
        status = ""
    session = None
    session_pk = int_or_none(request.GET.get("session"))
    if session_pk is not None:
        session = access.get_session_for_user(user, session_pk)
        notes = notes.filter(session=session)
    # Waiting ones first: the status values "submitted", "returned", "checked" sort so in reverse.
    notes = notes.order_by("-status", "-submitted_at", "-id")
    return render_page(request, "study/note_list.html", {
        "page": paginate(request, notes),
        "status": status,
        "statuses": NoteStatus.choices,
        "session": session,
        "pending": access.visible_notes(user).filter(status=NoteStatus.SUBMITTED).count(),
    })


@login_required
def note_detail(request, pk):
    user = request.user
    note = access.get_note_for_user(user, pk)
    form = NoteCheckForm() if access.can_check_note(user, note) and note.status == NoteStatus.SUBMITTED else None
    return render(request, "study/note_detail.html", {"note": note, "form": form,
                                                      "is_owner": note.member.user_id == user.pk})


@login_required
@require_POST
def note_check(request, pk):
    user = request.user
    note = access.get_note_for_user(user, pk)
    if not access.can_check_note(user, note):
        raise PermissionDenied("只有支部书记或镇管理员可以审阅学习笔记")
    form = NoteCheckForm(request.POST)
    if form.is_valid():
        accept = form.cleaned_data["decision"] == "accept"
        try:
            services.check_study_note(note, accept=accept, comment=form.cleaned_data["comment"], by=user)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, f"已{'审阅' if accept else '退回'}{note.member.name}的学习笔记")
            return redirect(reverse("study:note_list") + "?status=submitted")
    return render(request, "study/note_detail.html", {"note": note, "form": form, "is_owner": False}, status=422)


@login_required
@require_GET
def note_photo(request, pk):
    note = access.get_note_for_user(request.user, pk)
    return stored_file(note.photo, content_type=note.photo_content_type or "image/jpeg")
