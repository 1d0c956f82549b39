from django import template

from zhenwu.audit.display import mask_numbers

register = template.Library()

register.filter("mask_numbers", mask_numbers)
