"""API of the hosts app, under /api/v1/host/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from hosts import api
from payments.api import HostPayoutsAPI

app_name = "hosts_api"
router = SimpleRouter()
router.register("rotations", api.RotationViewSet, basename="rotation")
router.register("blocks", api.BlockViewSet, basename="block")
router.register("applications", api.ApplicationViewSet, basename="application")
router.register("block-changes", api.BlockChangeViewSet, basename="block-change")
router.register("letters", api.LetterViewSet, basename="letter")
router.register("reviews", api.ReviewViewSet, basename="review")
urlpatterns = [*router.urls, path("payouts/", HostPayoutsAPI.as_view(), name="payouts")]
