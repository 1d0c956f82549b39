"""What each role's home page shows: the role, its scope, and counts within that scope."""

from django.db.models import Q

from zhenwu.org.models import Household, Member, Resident


def home_context(user):
    cards = []
    households = Household.objects.visible_to(user)
    members = Member.objects.visible_to(user)
    if user.role in ("town_admin", "leader", "dispatcher", "secretary", "grid_worker"):
        cards.append({"label": "住户", "value": households.count(), "unit": "户"})
        cards.append({"label": "居民", "value": Resident.objects.visible_to(user).count(), "unit": "人"})
    if user.role in ("town_admin", "leader", "secretary", "instructor"):
        cards.append({"label": "党员", "value": members.count(), "unit": "名"})
        home_study = members.filter(is_active=True).filter(Q(is_elderly=True) | Q(is_ill=True) | Q(is_migrant=True))
        cards.append({"label": "需送学上门", "value": home_study.count(), "unit": "名"})
    own_member = members.first() if user.role == "member" else None
    return {"cards": cards, "own_member": own_member, "scope_label": scope_label(user)}


def scope_label(user):
    if user.role == "handler":
        return user.department.name if user.department_id else "未设置部门"
    if user.role in ("instructor",):
        return user.party_org.name if user.party_org_id else "未分配支部"
    if user.role == "member":
        member = getattr(user, "member", None)
        return member.party_org.name if member else "未关联党员档案"
    return user.area.name if user.area_id else "未设置区域"
