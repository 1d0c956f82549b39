"""Retrain the routing model on the handled concerns; keep the version, activate it only if it is
at least as good as the active one on the same held-out (latest) concerns.

    python manage.py train_router
    python manage.py train_router --seed seed.csv     # cold start with a labelled seed corpus
"""

from django.core.management.base import BaseCommand, CommandError

from zhenwu.routing import services


class Command(BaseCommand):
    help = "训练智能分派模型（按已办结诉求的最终类别和承办部门），评估后择优启用"

    def add_arguments(self, parser):
        parser.add_argument("--seed", help="种子语料 CSV：subject,body,label 或 text,label（label 为类别代码或名称）")

    def handle(self, *args, seed=None, **options):
        seed_rows = []
        try:
            if seed:
                seed_rows, unknown = services.read_seed_csv(seed)
                self.stdout.write(f"种子语料：{len(seed_rows)} 条")
                if unknown:
                    self.stdout.write(self.style.WARNING(f"未知类别已跳过：{'、'.join(unknown[:20])}"))
            result = services.train_router(seed_rows=seed_rows)
        except services.RoutingError as exc:
            raise CommandError(exc.message) from exc
        except OSError as exc:
            raise CommandError(f"无法读取种子语料 {seed}：{exc}") from exc
        model = result.model
        metrics = model.metrics
        self.stdout.write(f"v{model.version}：训练样本 {model.trained_on} 条（已办结 {metrics['history']}，"
                          f"种子 {metrics['seed']}，关键词 {metrics['keywords']}）")
        if "category" in metrics:
            c = metrics["category"]
            self.stdout.write(f"类别：准确率 {c['accuracy']:.3f}，宏F1 {c['macro_f1']:.3f}，"
                              f"{c['ms_per_message']:.2f} ms/条（{metrics['holdout']['method']}）")
        if "department" in metrics:
            d = metrics["department"]
            self.stdout.write(f"部门：准确率 {d['accuracy']:.3f}，宏F1 {d['macro_f1']:.3f}")
        style = self.style.SUCCESS if result.activated else self.style.WARNING
        self.stdout.write(style(result.message))
