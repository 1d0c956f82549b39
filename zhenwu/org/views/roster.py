"""Placeholder until the roster views land (being written in parallel)."""

from django.http import Http404


def roster_import(request, **kwargs):
    raise Http404


def roster_job(request, **kwargs):
    raise Http404


def roster_commit(request, **kwargs):
    raise Http404


def roster_export(request, **kwargs):
    raise Http404


def roster_sample(request, **kwargs):
    raise Http404

