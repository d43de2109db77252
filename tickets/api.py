from django.http import Http404


def openapi_document(request):
    raise Http404


def reports_create(request, app_slug):
    raise Http404


def report_detail(request, app_slug, report_id):
    raise Http404
