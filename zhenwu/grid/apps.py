from django.apps import AppConfig


def _follow_household_move(sender, household, from_grid_id, **kwargs):
    from .services import follow_household_move

    follow_household_move(household, from_grid_id=from_grid_id)


class GridConfig(AppConfig):
    name = "zhenwu.grid"
    verbose_name = "网格与联户"

    def ready(self):
        from zhenwu.org.signals import household_moved, member_page_sections

        from .views import member_section

        # The links carry their household's grid: a move in the org app moves them too.
        household_moved.connect(_follow_household_move, dispatch_uid="zhenwu.grid.follow_household_move")
        # The member page shows the member's 六员 and 六表率.
        member_page_sections.connect(member_section, dispatch_uid="zhenwu.grid.member_section")
