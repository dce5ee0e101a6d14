from django.contrib import admin

from catalogue.models import Suite, SuiteTask


class SuiteTaskInline(admin.TabularInline):
    model = SuiteTask
    extra = 0


@admin.register(Suite)
class SuiteAdmin(admin.ModelAdmin):
    list_display = ["slug", "name", "position"]
    inlines = [SuiteTaskInline]
