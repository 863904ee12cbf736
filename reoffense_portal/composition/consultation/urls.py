"""The "consultation" URL namespace: the comment form of a 案, and the published results."""

from django.urls import path

from . import views

app_name = "consultation"

urlpatterns = [
    path("plans/<bigint:pk>/comments/", views.submit, name="submit"),
    path("plans/<bigint:pk>/comments/thanks/", views.thanks, name="thanks"),
    path("plans/<bigint:pk>/comments/<bigint:period_pk>/document/", views.proposal_document, name="document"),
    path("plans/<bigint:pk>/comments/<bigint:period_pk>/result/", views.result, name="result"),
    path("plans/<bigint:pk>/comments/<bigint:period_pk>/result.pdf", views.result_pdf, name="result_pdf"),
]
