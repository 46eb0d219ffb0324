"""API tokens stored hashed (amo.ApiToken) replace rest_framework.authtoken's plaintext tokens.

Each existing authtoken token is adopted as it is: its SHA-256 is stored, so clients that send it
keep working, and it expires 30 days after this migration (its owner sees it on the API tokens page
and can revoke it or replace it with one of their own). Then authtoken's table, content types,
permissions and migration records are removed: the app is no longer installed.
"""

import hashlib
from datetime import timedelta

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

ADOPTED_TOKEN_LIFETIME = timedelta(days=30)


def adopt_authtoken_tokens(apps, schema_editor):
    connection = schema_editor.connection
    if "authtoken_token" in connection.introspection.table_names():
        with connection.cursor() as cursor:
            cursor.execute("SELECT key, user_id, created FROM authtoken_token")
            rows = cursor.fetchall()
        ApiToken = apps.get_model("amo", "ApiToken")
        expires_at = django.utils.timezone.now() + ADOPTED_TOKEN_LIFETIME
        ApiToken.objects.bulk_create(
            ApiToken(
                user_id=user_id,
                name="Token created by staff before tokens were hashed",
                key=secret[:12],
                digest=hashlib.sha256(secret.encode()).hexdigest(),
                last_four=secret[-4:],
                created_at=created,
                expires_at=expires_at,
            )
            for secret, user_id, created in rows
        )
        schema_editor.execute("DROP TABLE authtoken_token")
    apps.get_model("contenttypes", "ContentType").objects.filter(app_label="authtoken").delete()
    schema_editor.execute("DELETE FROM django_migrations WHERE app = 'authtoken'")


class Migration(migrations.Migration):

    dependencies = [
        ('amo', '0003_site_from_settings'),
        ('auth', '0012_alter_user_first_name_max_length'),
        ('contenttypes', '0002_remove_content_type_name'),
    ]

    operations = [
        migrations.CreateModel(
            name='ApiToken',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(help_text='What the token is for, to tell tokens apart.', max_length=100)),
                ('key', models.CharField(db_index=True, help_text="The secret's first characters.", max_length=12)),
                ('digest', models.CharField(help_text='SHA-256 of the secret, hex.', max_length=64, unique=True)),
                ('last_four', models.CharField(max_length=4)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('expires_at', models.DateTimeField()),
                ('last_used_at', models.DateTimeField(blank=True, null=True)),
                ('revoked_at', models.DateTimeField(blank=True, null=True)),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='api_tokens', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-created_at', '-id'],
                'indexes': [models.Index(fields=['user', '-created_at'], name='amo_apitoke_user_id_3051da_idx')],
                'constraints': [models.CheckConstraint(condition=models.Q(('expires_at__gt', models.F('created_at'))), name='api_token_expires_after_creation')],
            },
        ),
        migrations.RunPython(adopt_authtoken_tokens, migrations.RunPython.noop),
    ]
