"""Placeholder until the people views land (being written in parallel)."""

from django.http import Http404


def area_list(request, **kwargs):
    raise Http404


def department_list(request, **kwargs):
    raise Http404


def household_list(request, **kwargs):
    raise Http404


def household_detail(request, **kwargs):
    raise Http404


def resident_reveal(request, **kwargs):
    raise Http404


def member_list(request, **kwargs):
    raise Http404


def member_detail(request, **kwargs):
    raise Http404


def member_reveal(request, **kwargs):
    raise Http404

