"""Routes of the console's keys area: key lists, the create-key wizard, the key page with
its tabs and actions, and the aliases page. Included into the ``console`` namespace."""

from django.urls import path

from .views import keys_actions, keys_aliases, keys_detail, keys_list, keys_tab_actions, keys_wizard

urlpatterns = [
    path("keys/", keys_list.customer_keys, name="keys"),
    path("keys/aws/", keys_list.aws_keys, name="keys-aws"),
    path("keys/create/", keys_wizard.create_configure, name="key-create"),
    path("keys/create/labels/", keys_wizard.create_labels, name="key-create-labels"),
    path("keys/create/administrators/", keys_wizard.create_administrators, name="key-create-administrators"),
    path("keys/create/users/", keys_wizard.create_users, name="key-create-users"),
    path("keys/create/review/", keys_wizard.create_review, name="key-create-review"),
    path("keys/<str:key_id>/", keys_detail.key_detail, name="key-detail"),
    path("keys/<str:key_id>/enable/", keys_actions.enable, name="key-enable"),
    path("keys/<str:key_id>/disable/", keys_actions.disable, name="key-disable"),
    path("keys/<str:key_id>/schedule-deletion/", keys_actions.schedule_deletion, name="key-schedule-deletion"),
    path("keys/<str:key_id>/cancel-deletion/", keys_actions.cancel_deletion, name="key-cancel-deletion"),
    path("keys/<str:key_id>/description/", keys_actions.update_description, name="key-description"),
    path("keys/<str:key_id>/policy/", keys_actions.update_policy, name="key-policy"),
    path("keys/<str:key_id>/tags/", keys_tab_actions.add_tag, name="key-tag"),
    path("keys/<str:key_id>/tags/remove/", keys_tab_actions.remove_tag, name="key-untag"),
    path("keys/<str:key_id>/rotation/enable/", keys_tab_actions.enable_rotation, name="key-rotation-enable"),
    path("keys/<str:key_id>/rotation/disable/", keys_tab_actions.disable_rotation, name="key-rotation-disable"),
    path("keys/<str:key_id>/rotation/rotate-now/", keys_tab_actions.rotate_now, name="key-rotate-now"),
    path("keys/<str:key_id>/aliases/", keys_tab_actions.add_alias, name="key-alias-create"),
    path("keys/<str:key_id>/aliases/delete/", keys_tab_actions.remove_alias, name="key-alias-delete"),
    path("keys/<str:key_id>/grants/", keys_tab_actions.add_grant, name="key-grant-create"),
    path("keys/<str:key_id>/grants/retire/", keys_tab_actions.retire, name="key-grant-retire"),
    path("keys/<str:key_id>/grants/revoke/", keys_tab_actions.revoke, name="key-grant-revoke"),
    path("keys/<str:key_id>/public-key.pem", keys_tab_actions.public_key_pem, name="key-public-key-pem"),
    path("keys/<str:key_id>/public-key.der", keys_tab_actions.public_key_der, name="key-public-key-der"),
    path("aliases/", keys_aliases.aliases, name="aliases"),
    path("aliases/create/", keys_aliases.alias_create, name="alias-create"),
    path("aliases/update/", keys_aliases.alias_update, name="alias-update"),
    path("aliases/delete/", keys_aliases.alias_delete, name="alias-delete"),
]
