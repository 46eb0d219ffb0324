from django.apps import AppConfig


class HostsConfig(AppConfig):
    name = "hosts"
    verbose_name = "Host organizations"

    def ready(self) -> None:
        # What the host reminders say when the reminders sweep sends them (amo.reminders).
        from amo.models import Reminder
        from amo.reminders import reminder_kind_register
        from hosts.reminders import applications_waiting_render, block_changes_waiting_render

        reminder_kind_register(Reminder.Kind.APPLICATIONS_WAITING, applications_waiting_render)
        reminder_kind_register(Reminder.Kind.BLOCK_CHANGE_WAITING, block_changes_waiting_render)
