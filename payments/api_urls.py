"""API of the payments app, under /api/v1/."""

from django.urls import path

from payments import api

app_name = "payments_api"
urlpatterns = [
    path(
        "applications/<int:pk>/payments/", api.ApplicationPaymentsAPI.as_view(), name="application_payments"
    ),
]
