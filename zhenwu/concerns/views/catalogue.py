"""诉求类别 for a town's administrator: the county's catalogue, and the town's own default
department and limits for each category (rules: services.catalogue)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path

from zhenwu.lib.form_errors import attach_errors
from zhenwu.org.models import AreaLevel, Department

from .. import access, services
from ..forms_catalogue import OwnCategoryForm, TownCategoryForm
from ..models import Category


@login_required
def category_catalogue(request):
    """The navigation's entry: the administrator's own town."""
    user = request.user
    if not (user.area_id and user.area.level == AreaLevel.TOWN and access.can_configure_town(user, user.area)):
        raise PermissionDenied("只有镇管理员可以设置本镇的诉求类别")
    return redirect("concerns:town_category_list", user.area_id)


def _categories(town):
    """The county's active categories and all of the town's own (a stopped one may be restarted)."""
    return Category.objects.filter(Q(town__isnull=True, is_active=True) | Q(town=town)).select_related(
        "default_department"
    )


def _departments(town):
    return Department.objects.filter(town=town, is_active=True)


@login_required
def town_category_list(request, town_pk):
    town = access.get_town_for_configuration(request.user, town_pk)
    categories = list(_categories(town))
    county = [c for c in categories if c.town_id is None]
    settings = services.category_settings_for_town(town.pk, county)
    return render(request, "concerns/staff_town_categories.html", {
        "town": town,
        "rows": [settings[c.pk] for c in county],
        "own": [c for c in categories if c.town_id is not None],
    })


@login_required
def town_category_create(request, town_pk):
    town = access.get_town_for_configuration(request.user, town_pk)
    return _own_category_form(request, town, None)


def _own_category_form(request, town, category):
    """Add or change one of the town's own extra categories."""
    if request.method == "POST":
        form = OwnCategoryForm(request.POST, departments=_departments(town), adding=category is None)
        if form.is_valid():
            try:
                saved = services.save_town_category(
                    town=town, by=request.user, category=category, **form.cleaned_data
                )
            except services.ConcernError as exc:
                attach_errors(form, exc)
            else:
                messages.success(request, f"已保存本镇自设类别“{saved.name}”")
                return redirect("concerns:town_category_list", town.pk)
    elif category is None:
        form = OwnCategoryForm(departments=_departments(town), adding=True)
    else:
        form = OwnCategoryForm(
            initial={
                "name": category.name,
                "group": category.group,
                "default_department": category.default_department_id,
                "response_limit_days": category.response_limit_days,
                "resolution_limit_days": category.resolution_limit_days,
                "is_active": category.is_active,
            },
            departments=_departments(town),
            adding=False,
        )
    return render(
        request, "concerns/staff_town_own_category_form.html", {"town": town, "category": category, "form": form}
    )


@login_required
def town_category_edit(request, town_pk, category_pk):
    town = access.get_town_for_configuration(request.user, town_pk)
    category = get_object_or_404(_categories(town), pk=category_pk)
    if category.town_id is not None:
        return _own_category_form(request, town, category)
    rules = services.category_setting_for(category, town_id=town.pk)
    own = rules.own
    options = dict(
        departments=_departments(town),
        category=category,
        county_department=rules.county_department,
    )
    if request.method == "POST":
        form = TownCategoryForm(request.POST, **options)
        if form.is_valid():
            try:
                services.set_town_category_setting(town=town, category=category, by=request.user, **form.cleaned_data)
            except services.ConcernError as exc:
                attach_errors(form, exc)
            else:
                messages.success(request, f"已保存{town.name}“{category.name}”的设置")
                return redirect("concerns:town_category_list", town.pk)
    else:
        limits = own is not None and category.town_limits_allowed
        form = TownCategoryForm(
            initial={
                "default_department": own.default_department_id if own else None,
                "response_limit_days": own.response_limit_days if limits else None,
                "resolution_limit_days": own.resolution_limit_days if limits else None,
            },
            **options,
        )
    return render(
        request,
        "concerns/staff_town_category_form.html",
        {"town": town, "category": category, "rules": rules, "form": form},
    )


urlpatterns = [
    path("categories/", category_catalogue, name="category_catalogue"),
    path("categories/towns/<int:town_pk>/", town_category_list, name="town_category_list"),
    path("categories/towns/<int:town_pk>/new/", town_category_create, name="town_category_create"),
    path("categories/towns/<int:town_pk>/<int:category_pk>/", town_category_edit, name="town_category_edit"),
]
