from django.shortcuts import render

from patients.selectors import audit_list

from .selectors import waiting_lists_for_user


def waiting_lists(request):
    lists = waiting_lists_for_user(user=request.user)
    audit_list(user=request.user, object_type="waiting_list", rows=[r for wl in lists for r in wl.rows])
    return render(request, "stepped_care/waiting_lists.html", {"lists": lists})
