from lanjie.cli import app

app(prog_name="lanjie")
