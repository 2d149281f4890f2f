from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _install_default_roles(sender, using, **kwargs) -> None:
    from .defaults import roles_install
    from .models import ReviewRole

    roles_install(ReviewRole.objects.db_manager(using).model)


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = "Projects and teams"

    def ready(self) -> None:
        # Like Django's own permissions: defaults reappear after migrate and flush.
        post_migrate.connect(_install_default_roles, sender=self)
