"""The site's Celery app on kombu's own `filesystem://` transport: the local benchmark's baseline.

`celery -A bench.stock_filesystem_app worker` runs the site's worker exactly as `make run` does
(its settings, its folders, polling every 0.2 s) but on the transport kombu ships, so that the
embedded broker's idle cost is compared with kombu's, side by side, in one run.
"""

from helloworld.celery import app

app.conf.broker_url = "filesystem://localhost//"
