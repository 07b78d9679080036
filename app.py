"""Matryoshka Graph Explorer: the entry point (`streamlit run app.py`); pages.entry declares the
pages and the shared sidebar."""

# A process that multiprocessing spawns (the map worker, core.schedule.map_worker) first runs its
# parent's main script under the name "__mp_main__", and Streamlit makes this script the main
# one: there the app must not run.
if __name__ != "__mp_main__":
    from pages.entry import run_app

    run_app()
