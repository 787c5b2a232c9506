import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helloworld.settings")
# Whatever server loads this is the web tier: its statements get the web's bounds (helloworld/database.py).
os.environ["HELLOWORLD_PROCESS"] = "web"

application = get_wsgi_application()
