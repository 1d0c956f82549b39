"""Placeholder: the views of this module are being written."""

urlpatterns = []
