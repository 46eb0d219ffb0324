"""Generated data, apart from the apps: the demo that `make run` seeds (`manage.py seed_demo`) and
the benchmark's 100k catalog (`manage.py bench`, in its own database).

accounts.py is read by tools/devstack.py before Django is set up, so it imports models only inside
its functions.
"""
