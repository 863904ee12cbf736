"""What パブリックコメント adds to a plan loaded for its pages (publishing.snapshot.plan_loaded)."""

from django.dispatch import receiver

from plans.models import Plan
from reoffense_portal.composition.publishing.snapshot import plan_loaded

from .models import CommentPeriod


@receiver(plan_loaded, sender=Plan, dispatch_uid="consultation_comment_results")
def load_comment_results(sender, plan: Plan, **kwargs) -> None:
    """`plan.comment_results`: its published results, which the plan page links in its 策定経過."""
    plan.comment_results = list(CommentPeriod.objects.with_result().filter(plan=plan).order_by("starts_on").only(
        "pk", "plan_id", "proposal_title", "starts_on", "ends_on", "submitter_count", "opinion_count",
    ))
