from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from ..home import home_context


@login_required
def home(request):
    """Each role's home page: its scope, counts within it, and its menu."""
    return render(request, "reports/home.html", home_context(request.user))
