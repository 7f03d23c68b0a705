"""Routes of the console's tools: event history, policy simulator, crypto playground,
blob inspector, IAM and credentials."""

from django.urls import path

from .views import events, identities, playground, simulator

urlpatterns = [
    path("events/", events.event_list, name="events"),
    path("events/<str:event_id>/", events.event_detail, name="event"),
    path("simulator/", simulator.simulator, name="simulator"),
    path("playground/", playground.playground, name="playground"),
    path("playground/encrypt/", playground.encrypt, name="playground-encrypt"),
    path("playground/decrypt/", playground.decrypt, name="playground-decrypt"),
    path("playground/envelope/generate/", playground.envelope_generate, name="envelope-generate"),
    path("playground/envelope/seal/", playground.envelope_seal, name="envelope-seal"),
    path("playground/envelope/discard/", playground.envelope_discard, name="envelope-discard"),
    path("playground/envelope/open/", playground.envelope_open, name="envelope-open"),
    path("playground/sign/", playground.sign, name="playground-sign"),
    path("playground/verify/", playground.verify, name="playground-verify"),
    path("playground/mac/", playground.generate_mac, name="playground-mac"),
    path("playground/verify-mac/", playground.verify_mac, name="playground-verify-mac"),
    path("blob-inspector/", playground.blob_inspector, name="blob-inspector"),
    path("iam/", identities.iam_home, name="iam"),
    path("iam/new-user/", identities.user_new, name="iam-user-new"),
    path("iam/new-role/", identities.role_new, name="iam-role-new"),
    path("iam/users/<str:name>/", identities.user_detail, name="iam-user"),
    path("iam/roles/<str:name>/", identities.role_detail, name="iam-role"),
    path("iam/roles/<str:name>/trust/", identities.trust_update, name="iam-trust"),
    path("iam/<str:kind>/<str:name>/policies/", identities.policy_put, name="iam-policy-put"),
    path("iam/<str:kind>/<str:name>/policies/<str:policy>/delete/", identities.policy_delete, name="iam-policy-delete"),
    path("iam/<str:kind>/<str:name>/attach/", identities.policy_attach, name="iam-attach"),
    path("iam/<str:kind>/<str:name>/detach/", identities.policy_detach, name="iam-detach"),
    path("iam/<str:kind>/<str:name>/delete/", identities.identity_delete, name="iam-delete"),
    path("credentials/", identities.credentials, name="credentials"),
    path("credentials/<str:user>/keys/", identities.access_key_new, name="access-key-new"),
    path(
        "credentials/<str:user>/keys/<str:access_key_id>/status/",
        identities.access_key_status,
        name="access-key-status",
    ),
    path(
        "credentials/<str:user>/keys/<str:access_key_id>/delete/",
        identities.access_key_delete,
        name="access-key-delete",
    ),
]
