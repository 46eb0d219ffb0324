"""The Jinja2 environment of the templates under templates/jinja2/ (names ending in .jinja).

The catalog's fragments and a rotation's page render with Jinja2: Django's template engine took
~8 ms for a page of 20 results, mostly in its per-node context lookups. Each filter here is the
function the Django templates use (amo_forms, catalog, django.template.defaultfilters), not a copy.
Differences from Django templates to mind: methods are called with `()`, slices are `[:4]`, a
`for` loop's `{% else %}` is Django's `{% empty %}`, and `request.user` stands for `user`.
"""

from collections.abc import Callable
from types import SimpleNamespace

from django.template import defaultfilters, defaulttags
from django.urls import reverse
from jinja2 import Environment, pass_context

from amo.templatetags.amo_forms import money
from rotations.templatetags.catalog import day, rotations_found


def url(name: str, *args) -> str:
    """Django's {% url name arg ... %}."""
    return reverse(name, args=args)


def slug_url(name: str) -> Callable[[str], str]:
    """url(name, slug) for each of many slugs at the cost of one `reverse`, for a route whose one
    argument is a <slug:...>: a page of 20 cards spent a third of its time in reverse (~30 µs each).
    Django puts a slug in the path as it is (its characters need no quoting), so the URL of any slug
    is the URL of one slug with that slug swapped."""
    head, _, tail = reverse(name, args=["__slug__"]).rpartition("__slug__")
    return lambda slug: f"{head}{slug}{tail}"


@pass_context
def querystring(context, query_dict=None, **kwargs) -> str:
    """Django's {% querystring key=value %}: the request's query with those keys changed."""
    return defaulttags.querystring(SimpleNamespace(request=context["request"]), query_dict, **kwargs)


def environment(**options) -> Environment:
    env = Environment(**options)
    env.globals.update(url=url, slug_url=slug_url, querystring=querystring)
    env.filters.update(
        money=money,
        day=day,
        rotations_found=rotations_found,
        date=defaultfilters.date,
        pluralize=defaultfilters.pluralize,
        truncatewords=defaultfilters.truncatewords,
    )
    return env
