from django import forms

from portal.forms import PlainMessagesMixin

from .services import WRONG_CODE, WRONG_RECOVERY_CODE


class CodeForm(PlainMessagesMixin, forms.Form):
    code = forms.CharField(
        required=True, max_length=20, strip=True, error_messages={"required": WRONG_CODE}
    )

    def clean_code(self) -> str:
        # People copy codes as "123 456" or "123-456".
        code = "".join(c for c in self.cleaned_data["code"] if c not in " -")
        if len(code) != 6 or not code.isdigit():
            raise forms.ValidationError(WRONG_CODE)
        return code


class RecoveryCodeForm(PlainMessagesMixin, forms.Form):
    code = forms.CharField(
        required=True, max_length=40, strip=True, error_messages={"required": WRONG_RECOVERY_CODE}
    )
